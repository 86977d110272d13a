// The phone around the calls (docs/signaling.md, "The phone around the
// calls"): recent and missed calls, the directory with everyone's
// presence, and do-not-disturb. The server keeps them; this module keeps
// the state the views draw and sends the user's acts.

import { state } from './store.js';
import { send } from './model.js';
import { handle } from './messages.js';
import { placeCall } from './outgoing.js';

/** At most this many entries are kept in the page. */
const MAX_ENTRIES = 500;

handle({
  history: (msg) => {
    state.history.calls = Array.isArray(msg.calls) ? msg.calls.slice(0, MAX_ENTRIES) : [];
    setUnseen(msg.unseen);
  },
  'history-add': (msg) => {
    if (!msg.call || state.history.calls.some((c) => c.id === msg.call.id)) return;
    state.history.calls = [msg.call, ...state.history.calls].slice(0, MAX_ENTRIES);
    setUnseen(msg.unseen);
  },
  missed: (msg) => setUnseen(msg.unseen),
  dnd: (msg) => { state.dnd = !!msg.on; },
  directory: (msg) => {
    state.directory.entries = Array.isArray(msg.entries) ? msg.entries.filter((e) => e && e.number) : [];
  },
  presence: (msg) => {
    for (const p of Array.isArray(msg.numbers) ? msg.numbers : []) {
      if (p && p.number) state.presence[p.number] = p.state;
    }
  },
});

/** The count of unseen missed calls; with the list open and in sight they are seen at once. */
function setUnseen(n) {
  state.history.unseen = Math.max(0, Number(n) || 0);
  if (state.history.unseen && state.panel === 'recent' && document.visibilityState === 'visible') markSeen();
}

/** Tells the server the user has seen the list up to its newest entry. */
function markSeen() {
  const newest = state.history.calls[0];
  if (newest) send({ type: 'history-seen', id: newest.id });
}

/** Shows a side panel: 'recent' (which counts as seeing the missed calls) or 'directory'. */
export function openPanel(panel) {
  state.panel = panel;
  if (panel === 'recent' && state.history.unseen) markSeen();
}

/** The page became visible again: an open list is seen now. */
export function onVisible() {
  if (state.panel === 'recent' && state.history.unseen && document.visibilityState === 'visible') markSeen();
}

/** Do not disturb: asks the server to turn it over; its `dnd` reply sets the toggle. */
export function toggleDND() {
  send({ type: 'dnd', on: !state.dnd });
}

/** Call back / Call: an audio call to number (when no call is up). */
export function callNumber(number) {
  if (state.calls.length || !number) return;
  state.number = number;
  placeCall(false, { to: number });
}

/** The directory search field. */
export function search(query) {
  state.directory.query = query;
}

/** The newest missed call not yet seen, for the idle screen (or null). */
export function newestUnseenMissed() {
  if (!state.history.unseen) return null;
  return state.history.calls.find((c) => c.dir === 'missed') || null;
}

/**
 * The directory as shown: extensions and rooms (and PBX phones the server
 * reports presence of), each with its presence, filtered by the search
 * (number or name, any case), the user's own extension left out.
 */
export function directoryRows() {
  const me = state.me ? state.me.ext : '';
  const rows = state.directory.entries.filter((e) => e.number !== me).map((e) => ({ ...e }));
  const listed = new Set(rows.map((r) => r.number));
  for (const number of Object.keys(state.presence)) {
    if (!listed.has(number) && number !== me) rows.push({ number, name: '', kind: 'phone' });
  }
  for (const r of rows) r.presence = r.kind === 'room' ? '' : (state.presence[r.number] || 'offline');
  rows.sort((a, b) => a.number.localeCompare(b.number, undefined, { numeric: true }));
  const q = state.directory.query.trim().toLowerCase();
  if (!q) return rows;
  return rows.filter((r) => r.number.toLowerCase().includes(q) || (r.name || '').toLowerCase().includes(q));
}
