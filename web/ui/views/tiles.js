// The conference view: participant tiles on a dark stage, and the Users badge
// with its tooltip. It only draws the model views/conference.js hands it.
//
// Accessible names other tests rely on: each remote tile is a group named
// "Participant NUMBER", the local tile is "You"; the dominant speaker's tile
// has data-speaking="true" (all others "false"); the Users button's name is
// "Users N" and its role=tooltip lists "NUMBER NAME" per participant. A
// shared screen is a group named "Screen NUMBER", shown large. Tiles carry
// data-muted="true" (with a visible microphone-off icon) and data-hand="true"
// (a hand icon); each remote tile has a toggle "Pin NUMBER" that shows it
// large.

import { t } from '../i18n.js';

const $ = (id) => document.getElementById(id);

/**
 * Tile aspect ratios the grid may use: 16:9 at most; at least 4:3 on a
 * landscape stage, 3:4 on a portrait one (phones), so cameras are not
 * cropped much while tiles still fill the space.
 */
const ASPECT_MAX = 16 / 9;
const ASPECT_MIN_LANDSCAPE = 4 / 3;
const ASPECT_MIN_PORTRAIT = 3 / 4;
/** Space between tiles, in CSS pixels (matches .stage-main gap). */
const GAP = 10;
/** The room's video mode, shown next to the timer (catalogue keys). */
const MODE_TEXT = { speaker: 'conf.mode_speaker', none: 'conf.mode_none' };
/** Avatar colour classes (style.css: .hue-0 … .hue-5). */
const HUES = 6;

/** Two initials from a name, else the last two digits of the number. */
export function initials(name, number) {
  const words = (name || '').trim().split(/\s+/).filter(Boolean);
  if (words.length) return words.slice(0, 2).map((w) => [...w][0].toUpperCase()).join('');
  return (number || '?').slice(-2);
}

/** A stable colour for a participant, so their avatar keeps its colour. */
function hueOf(key) {
  let h = 7;
  for (const ch of String(key)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % HUES;
}

/**
 * The largest equal tiles for n tiles in a width×height box: tries every
 * column count and keeps the tile aspect ratio within the limits above.
 */
export function fitGrid(width, height, n, gap = GAP) {
  const minAspect = width >= height ? ASPECT_MIN_LANDSCAPE : ASPECT_MIN_PORTRAIT;
  let best = { cols: 1, w: 0, h: 0 };
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    let w = (width - gap * (cols - 1)) / cols;
    let h = (height - gap * (rows - 1)) / rows;
    if (w <= 0 || h <= 0) continue;
    if (w / h > ASPECT_MAX) w = h * ASPECT_MAX;
    if (w / h < minAspect) h = w / minAspect;
    if (w * h > best.w * best.h) best = { cols, w: Math.floor(w), h: Math.floor(h) };
  }
  return best;
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** Plays a media element, ignoring autoplay refusals. */
function play(media) {
  const p = media.play();
  if (p && p.catch) p.catch(() => {});
}

/** One participant's tile: video when there is one, else an avatar; name and number in a tag. */
class Tile {
  constructor() {
    this.el = node('div', 'tile');
    this.el.setAttribute('role', 'group');
    this.el.dataset.speaking = 'false';
    this.avatar = node('div', 'tile-avatar');
    this.avatar.setAttribute('aria-hidden', 'true');
    this.circle = node('span', 'avatar-circle');
    this.avatar.append(this.circle);
    // The name and number, in the corner (over the video, or under the avatar).
    this.tag = node('div', 'tile-tag');
    const bars = node('span', 'speaking-bars');
    bars.setAttribute('aria-hidden', 'true');
    bars.append(node('i'), node('i'), node('i'));
    this.tagName = node('span', 'tile-tag-name');
    this.tagNumber = node('span', 'tile-tag-number');
    this.tag.append(bars, this.tagName, ' ', this.tagNumber);
    // Icons in the top corner: a raised hand, a muted microphone.
    this.icons = node('div', 'tile-icons');
    this.hand = icon('tile-hand', HAND_PATH);
    this.mic = icon('tile-muted', MIC_OFF_PATH);
    this.icons.append(this.hand, this.mic);
    this.pinButton = node('button', 'tile-pin');
    this.pinButton.type = 'button';
    this.pinButton.setAttribute('aria-pressed', 'false');
    this.pinButton.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${PIN_PATH}"/></svg>`;
    this.pinButton.hidden = true;
    this.el.append(this.avatar, this.tag, this.icons, this.pinButton);
    this.video = null;
    this.hue = '';
  }

  /** Puts video (or null) into this tile; the element may come from another tile. */
  setVideo(video) {
    if (this.video === video) return;
    if (this.video && this.video.parentNode === this.el) this.video.remove();
    this.video = video;
    if (video) {
      this.el.prepend(video);
      play(video);
    }
  }

  update(m, video) {
    const el = this.el;
    if (el.getAttribute('aria-label') !== m.label) el.setAttribute('aria-label', m.label);
    el.dataset.member = m.key;
    const speaking = m.dominant ? 'true' : 'false';
    if (el.dataset.speaking !== speaking) el.dataset.speaking = speaking;
    el.classList.toggle('talking', !!m.speaking);
    el.classList.toggle('self', !!m.self);
    el.classList.toggle('video-live', !!video && !!m.live);
    const hue = `hue-${hueOf(m.number || m.key)}`;
    if (this.hue !== hue) {
      if (this.hue) el.classList.remove(this.hue);
      el.classList.add(hue);
      this.hue = hue;
    }
    this.circle.dataset.initials = initials(m.self ? m.ownName : m.name, m.number);
    this.tagName.textContent = m.name || m.number || '';
    this.tagNumber.textContent = m.name && !m.self ? m.number : '';
    el.dataset.muted = m.muted ? 'true' : 'false';
    el.dataset.hand = m.hand ? 'true' : 'false';
    el.classList.toggle('screen', !!m.screen);
    this.hand.hidden = !m.hand;
    this.mic.hidden = !m.muted;
    labelIcon(this.hand, t('conf.hand_raised'));
    labelIcon(this.mic, t('conf.muted'));
    this.pinButton.hidden = !m.pinnable && !m.screen;
    const pinName = t('conf.pin', { name: m.screen ? m.label : m.number });
    if (this.pinButton.getAttribute('aria-label') !== pinName) this.pinButton.setAttribute('aria-label', pinName);
    this.pinButton.title = pinName;
    this.pinButton.setAttribute('aria-pressed', m.pinned ? 'true' : 'false');
    this.setVideo(video);
  }
}

const HAND_PATH = 'M12.5 2a1.5 1.5 0 0 1 1.5 1.5V11h1V4.5a1.5 1.5 0 0 1 3 0V12h1V7.5a1.5 1.5 0 0 1 3 0V15a7 7 0 0 1-12.6 4.2L4.2 14.6a1.6 1.6 0 0 1 2.4-2.1L9 14.4V5.5a1.5 1.5 0 0 1 3 0V11h-.5V3.5A1.5 1.5 0 0 1 12.5 2z';
const MIC_OFF_PATH = 'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 6-6.9zM3.3 2.3 21.7 20.7l-1.4 1.4L1.9 3.7z';
const PIN_PATH = 'M14 3l7 7-2 1-2-2-3.5 3.5.5 4.5-1.5 1.5-3.5-3.5L4.5 19.5 3 21l-.5-.5 6-6L5 11l1.5-1.5 4.5.5L14.5 6.5l-2-2z';

/** Names an icon (its accessible name and tooltip) in the current language. */
function labelIcon(i, label) {
  if (i.getAttribute('aria-label') === label) return;
  i.setAttribute('aria-label', label);
  i.title = label;
}

/** A small icon (img role, named on update), hidden until needed. */
function icon(className, path) {
  const i = node('span', `tile-icon ${className}`);
  i.setAttribute('role', 'img');
  i.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${path}"/></svg>`;
  i.hidden = true;
  return i;
}

/**
 * The conference part of the phone card. update(model) redraws it; the model:
 * {mode, featured, members: [{key, label, name, ownName, number, self,
 *  dominant, speaking, stream, live, mirror}], roster: [{number, name, self}]}.
 */
export class ConferenceView {
  constructor({ onPin = () => {} } = {}) {
    this.onPin = onPin;
    this.stage = $('stage');
    this.main = $('stage-main');
    this.strip = $('stage-strip');
    this.note = $('stage-note');
    this.modeChip = $('conf-mode');
    this.users = $('users');
    this.usersCount = $('users-count');
    this.usersList = $('users-list');
    this.tiles = new Map(); // key → Tile
    this.videos = new Map(); // MediaStream → <video>
    this.layoutName = 'grid';
    this.resize = new ResizeObserver(() => this.layout());
    this.resize.observe(this.main);
    this.stage.hidden = false;
    this.users.hidden = false;
    wireUsersTooltip(this.users);
  }

  /** The <video> element that plays stream (one per stream, reused across tiles). */
  videoFor(stream, mirror) {
    let v = this.videos.get(stream);
    if (!v) {
      v = node('video', 'tile-video');
      v.muted = true; // sound comes from the mix on the page's one audio element
      v.autoplay = true;
      v.playsInline = true;
      v.setAttribute('playsinline', '');
      v.srcObject = stream;
      this.videos.set(stream, v);
    }
    v.classList.toggle('mirror', !!mirror);
    return v;
  }

  update(model) {
    const used = new Set();
    const seen = new Set();
    const speaker = !!model.featured;
    const mainTiles = [];
    const stripTiles = [];
    for (const m of model.members) {
      let tile = this.tiles.get(m.key);
      if (!tile) {
        tile = new Tile();
        const key = m.key;
        tile.pinButton.addEventListener('click', () => this.onPin(key));
        this.tiles.set(m.key, tile);
      }
      m.pinned = model.pinned === m.key;
      seen.add(m.key);
      let video = null;
      if (m.stream) {
        video = this.videoFor(m.stream, m.mirror);
        used.add(m.stream);
      }
      tile.update(m, video);
      tile.el.classList.toggle('featured', !!speaker && m.key === model.featured);
      (speaker && m.key !== model.featured ? stripTiles : mainTiles).push(tile.el);
    }
    for (const [key, tile] of this.tiles) {
      if (!seen.has(key)) {
        tile.setVideo(null);
        tile.el.remove();
        this.tiles.delete(key);
      }
    }
    for (const [stream, v] of this.videos) {
      if (!used.has(stream)) {
        v.remove();
        v.srcObject = null;
        this.videos.delete(stream);
      }
    }
    place(this.main, mainTiles);
    place(this.strip, stripTiles);
    this.strip.hidden = stripTiles.length === 0;
    this.layoutName = speaker ? 'speaker' : 'grid';
    this.stage.dataset.layout = this.layoutName;
    this.stage.dataset.mode = model.mode;
    this.modeChip.textContent = MODE_TEXT[model.mode] ? t(MODE_TEXT[model.mode]) : '';
    this.stage.dataset.count = String(model.members.length);
    this.note.hidden = model.members.length > 1;
    this.updateUsers(model.roster);
    this.layout();
  }

  /** Sizes grid tiles to the largest equal size that fits the stage. */
  layout() {
    if (this.layoutName !== 'grid') {
      this.main.style.removeProperty('--tile-w');
      this.main.style.removeProperty('--tile-h');
      return;
    }
    const n = this.main.children.length;
    const { clientWidth: w, clientHeight: h } = this.main;
    if (!n || !w || !h) return;
    const gap = parseFloat(getComputedStyle(this.main).rowGap) || GAP;
    const fit = fitGrid(w, h, n, gap);
    this.main.style.setProperty('--tile-w', `${fit.w}px`);
    this.main.style.setProperty('--tile-h', `${fit.h}px`);
  }

  /** The Users badge: "Users N", and a tooltip row "NUMBER NAME" per participant. */
  updateUsers(roster) {
    this.usersCount.textContent = String(roster.length);
    const rows = roster.map((p) => {
      const li = node('li', `users-row hue-${hueOf(p.number || p.name)}`);
      // Initials come from CSS (attr), so the row's text is just "NUMBER NAME".
      const dot = node('span', 'users-avatar');
      dot.dataset.initials = initials(p.name, p.number);
      dot.setAttribute('aria-hidden', 'true');
      li.append(dot, node('span', 'users-number', p.number), ' ', node('span', 'users-name', p.name || ''));
      if (p.hand) li.append(' ', node('span', 'users-hand', t('conf.hand_mark')));
      if (p.self) li.append(' ', node('span', 'users-you', t('conf.you_mark')));
      return li;
    });
    this.usersList.replaceChildren(...rows.flatMap((li) => [li, '\n']));
  }

  /** Removes every tile and hides the conference parts of the card. */
  destroy() {
    this.resize.disconnect();
    for (const tile of this.tiles.values()) tile.setVideo(null);
    for (const v of this.videos.values()) v.srcObject = null;
    this.tiles.clear();
    this.videos.clear();
    this.main.replaceChildren();
    this.strip.replaceChildren();
    this.main.style.removeProperty('--tile-w');
    this.main.style.removeProperty('--tile-h');
    this.stage.hidden = true;
    this.users.hidden = true;
    this.modeChip.textContent = '';
    this.usersList.replaceChildren();
    this.usersCount.textContent = '0';
  }
}

let tooltipWired = false;

/**
 * Escape hides the Users tooltip until the pointer leaves or focus moves on
 * (tooltips must be dismissible without moving the pointer or focus).
 */
function wireUsersTooltip(users) {
  if (tooltipWired) return;
  tooltipWired = true;
  users.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') users.classList.add('tooltip-dismissed');
  });
  const reset = () => users.classList.remove('tooltip-dismissed');
  users.addEventListener('mouseleave', reset);
  users.addEventListener('focusout', reset);
}

/** Makes container's children exactly els, in order, moving as few nodes as possible. */
function place(container, els) {
  els.forEach((el, i) => {
    if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null);
  });
  while (container.children.length > els.length) container.lastElementChild.remove();
}
