// Texts in the user's language. Each language has one catalogue,
// i18n/LANG.json (the server reads the same files for the pages it
// renders). A text may hold {name} placeholders; a counted text is an
// object of plural forms (Intl.PluralRules categories) with {n} the count.
// The language is the user's choice ("Language", kept in localStorage and
// in a cookie the server's pages read), else the browser's, else English.
//
// This module imports nothing.

/** The languages with a catalogue, in the order the Language select lists them. */
export const LANGS = ['en', 'ru'];
const FALLBACK = 'en';
const CHOICE_KEY = 'xphone.lang';

const catalogues = new Map(); // lang → {key: text | forms}
let lang = FALLBACK;
let plural = new Intl.PluralRules(FALLBACK);

/** The language in use. */
export function currentLang() {
  return lang;
}

/** The user's explicit choice, if any. */
function storedChoice() {
  try {
    const v = localStorage.getItem(CHOICE_KEY);
    return LANGS.includes(v) ? v : '';
  } catch {
    return ''; // storage disabled
  }
}

/** The language to start with: the choice, else the browser's first supported one. */
export function initialLang() {
  const chosen = storedChoice();
  if (chosen) return chosen;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (LANGS.includes(primary)) return primary;
  }
  return FALLBACK;
}

/** Loads every catalogue (they are small) and switches to `want`. */
export async function loadCatalogues(want) {
  await Promise.all(LANGS.map(async (l) => {
    const res = await fetch(`i18n/${l}.json`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`catalogue ${l}: HTTP ${res.status}`);
    catalogues.set(l, await res.json());
  }));
  use(want);
}

/** Switches to language l (known to have a catalogue). */
export function use(l) {
  lang = catalogues.has(l) ? l : FALLBACK;
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
}

/**
 * Remembers l as the user's choice: in localStorage for this browser, and
 * in a cookie so the admin page follows it.
 */
export function choose(l) {
  try {
    localStorage.setItem(CHOICE_KEY, l);
  } catch { /* storage disabled: the choice lasts this page */ }
  const path = new URL('.', document.baseURI).pathname;
  document.cookie = `xphone_lang=${encodeURIComponent(l)}; path=${path}; max-age=31536000; SameSite=Strict; Secure`;
  use(l);
}

/** The language's own name (its catalogue's "@name"), for the Language select. */
export function nameOf(l) {
  const c = catalogues.get(l);
  return (c && c['@name']) || l;
}

function lookup(key) {
  const own = catalogues.get(lang);
  if (own && key in own) return own[key];
  const fb = catalogues.get(FALLBACK);
  if (fb && key in fb) {
    console.warn(`xphone: no ${lang} text for ${key}`);
    return fb[key];
  }
  console.warn(`xphone: no text for ${key}`);
  return key;
}

function fill(text, params) {
  if (!params || typeof text !== 'string') return String(text);
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** The text of key in the current language, with {placeholders} from params. */
export function t(key, params) {
  const v = lookup(key);
  return fill(typeof v === 'string' ? v : (v.other || key), params);
}

/** The counted text of key for n ({n} is n). */
export function tn(key, n, params = {}) {
  const v = lookup(key);
  if (typeof v === 'string') return fill(v, { n, ...params });
  const form = v[plural.select(n)] || v.other || v.many || '';
  return fill(form, { n, ...params });
}

/** Whether the current catalogue (or English) has key. */
export function has(key) {
  const own = catalogues.get(lang);
  const fb = catalogues.get(FALLBACK);
  return !!((own && key in own) || (fb && key in fb));
}

/** A time of day in the current language, e.g. "14:05". */
export function clock(ms) {
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

/** A date in the current language, e.g. "7 Dec". */
export function day(ms) {
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' }).format(new Date(ms));
}
