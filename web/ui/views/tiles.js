// The conference view: participant tiles on a dark stage, and the Users badge
// with its tooltip. It only draws the model views/conference.js hands it.
//
// Accessible names other tests rely on: each remote tile is a group named
// "Participant NUMBER", the local tile is "You"; the dominant speaker's tile
// has data-speaking="true" (all others "false"); the Users button's name is
// "Users N" and its role=tooltip lists "NUMBER NAME" per participant.

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
    this.el.append(this.avatar, this.tag);
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
    this.setVideo(video);
  }
}

/**
 * The conference part of the phone card. update(model) redraws it; the model:
 * {mode, featured, members: [{key, label, name, ownName, number, self,
 *  dominant, speaking, stream, live, mirror}], roster: [{number, name, self}]}.
 */
export class ConferenceView {
  constructor() {
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
    const speaker = model.mode === 'speaker' && model.featured;
    const mainTiles = [];
    const stripTiles = [];
    for (const m of model.members) {
      let tile = this.tiles.get(m.key);
      if (!tile) {
        tile = new Tile();
        this.tiles.set(m.key, tile);
      }
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
