// The side panel: Recent calls (with the missed-call badge on its tab) and
// the Directory with everyone's presence, a search and a Call button each.

import {
  clock, day, t, tn,
} from '../i18n.js';
import { directoryRows } from '../desk.js';
import { formatDuration } from './phone.js';
import {
  el, node, setAttr, setText, show,
} from './dom.js';

const DIR_KEYS = { in: 'recent.incoming', out: 'recent.outgoing', missed: 'recent.missed' };

/** When a call was: the time today, else the day and time. */
function whenText(ms) {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? clock(ms) : `${day(ms)} ${clock(ms)}`;
}

/** What happened: its duration when answered, else why not. */
function outcomeText(c) {
  if (c.answered) return formatDuration((c.duration || 0) * 1000);
  return c.reason ? t(`reason.${c.reason}`) : '';
}

function recentItem(c, onCall) {
  const li = node('li', `entry entry-${c.dir}`);
  li.dataset.id = String(c.id);
  const main = node('div', 'entry-main');
  const who = node('div', 'entry-who');
  who.append(node('span', 'entry-number', c.number), ' ', node('span', 'entry-name', c.name || ''));
  const what = node('div', 'entry-what');
  const parts = [t(DIR_KEYS[c.dir] || 'recent.outgoing'), whenText(c.time), outcomeText(c)].filter(Boolean);
  if (c.by) parts.push(t('recent.transferred_by', { by: c.by_name ? `${c.by} ${c.by_name}` : c.by }));
  what.textContent = parts.join(' · ');
  main.append(who, what);
  const b = node('button', 'btn btn-small entry-call', t('recent.call_back', { number: c.number }));
  b.type = 'button';
  b.addEventListener('click', () => onCall(c.number));
  li.append(main, b);
  return li;
}

function renderRecent(s, onCall) {
  const calls = s.history.calls;
  const sig = `${s.lang}|${calls.map((c) => c.id).join(',')}|${new Date().toDateString()}`;
  if (el.recentList.dataset.sig !== sig) {
    el.recentList.dataset.sig = sig;
    el.recentList.replaceChildren(...calls.map((c) => recentItem(c, onCall)));
  }
  show(el.recentEmpty, calls.length === 0);
}

function directoryItem(r, onCall) {
  const li = node('li', `entry entry-${r.kind}`);
  const main = node('div', 'entry-main');
  const who = node('div', 'entry-who');
  who.append(node('span', 'entry-number', r.number), ' ', node('span', 'entry-name', r.name || ''));
  const label = r.kind === 'room' ? t('directory.room') : t(`presence.${r.presence}`);
  const what = node('div', `entry-what presence presence-${r.presence || 'room'}`, label);
  main.append(who, what);
  const b = node('button', 'btn btn-small entry-call', t('directory.call'));
  b.type = 'button';
  b.addEventListener('click', () => onCall(r.number));
  li.append(main, b);
  return li;
}

function renderDirectory(s, onCall) {
  const rows = directoryRows();
  const sig = `${s.lang}|${JSON.stringify(rows)}`;
  if (el.directoryList.dataset.sig !== sig) {
    el.directoryList.dataset.sig = sig;
    el.directoryList.replaceChildren(...rows.map((r) => directoryItem(r, onCall)));
  }
  show(el.directoryEmpty, rows.length === 0);
  if (el.directorySearch.value !== s.directory.query) el.directorySearch.value = s.directory.query;
}

function renderTabs(s) {
  const recent = s.panel === 'recent';
  setAttr(el.tabRecent, 'aria-selected', recent ? 'true' : 'false');
  setAttr(el.tabDirectory, 'aria-selected', recent ? 'false' : 'true');
  show(el.panelRecent, recent);
  show(el.panelDirectory, !recent);
  const n = s.history.unseen;
  show(el.recentBadge, n > 0);
  setText(el.recentBadge, n > 0 ? String(n) : '');
  setAttr(el.recentBadge, 'title', n > 0 ? tn('recent.unseen', n) : null);
}

/** The side panel's renderer; onCall(number) calls a number. */
export function sideView({ onCall }) {
  return (s) => {
    renderTabs(s);
    renderRecent(s, onCall);
    renderDirectory(s, onCall);
  };
}
