// The one state store of the softphone, and its single render path.
//
// `state` is everything the UI shows. Actions (the modules next to this
// one) change it and call commit(); views (views/*.js) never change it:
// they draw it. A commit schedules one render, in a microtask, that calls
// every registered view with the state; views compare with what the DOM
// shows and touch only what differs, so rendering often is cheap.
// Handlers of DOM events, socket messages and media callbacks run through
// act(), which commits after them (and after a promise they return).
//
// This module imports nothing: every other module may use it.

/**
 * The whole UI state.
 *
 * calls: this tab's calls (at most two); shown: the one the card shows and
 * the in-call buttons control. A call is {id, req, direction: 'out'|'in',
 * peer, peerName, video, state, leg, sent, ended, micMuted, videoStopped,
 * pin, conf, early, videoTracks, audioTrack, remoteVideoLive, holdLocal,
 * holdRemote, consultFor, since, transferring, transferredBy, mediaNotes,
 * keysSent}. Its state is one of starting, dialing, ringing, connecting,
 * connected, transferring, ended. conf is the conference state of a room
 * call (rooms.js); early keeps conference messages that came before
 * `conference`; videoTracks maps received video mids to tracks; holdLocal
 * / holdRemote mirror `hold-state`; consultFor is the held call an attended
 * transfer would hand this (consultation) call to.
 */
export const state = {
  view: 'loading', // loading | login | main
  me: null, // {ext, name}
  login: { busy: false, error: null }, // error: {key, params} or {text}
  camera: false,
  webrtc: true,
  conn: {
    ready: false, // the server greeted this socket (hello): calls can come in
    reconnecting: false, // the socket dropped; the calls wait for it (resume.js)
    lost: false, // the socket is down (a reconnect may be under way)
    refused: false, // the server closed this tab for good (4409, 4429): no reconnect
    lastCloseCode: 0, // of the socket that dropped: 1001 when the server went away
  },
  sig: null, // the Signaling of the session
  calls: [],
  shown: null,
  incoming: null, // {call, from, fromName, video, by, byName}
  // The end of the tab's last call, shown until the user dismisses it or
  // acts: {reason, key, params, failed, peer, duration (ms or 0)}.
  lastEnd: null,
  // A short message under the status line: {key, params} or {text}, kind,
  // until (ms); and the keys the other party pressed.
  notice: null,
  dtmfSeen: '',
  keypadOpen: false,
  soundMuted: false, // Mute sound: what plays of the shown call is muted
  number: '', // the Number field (the field owns it; kept here on input)
  pin: null, // the PIN dialog: {number, video, wrong, error}
  transfer: null, // the Transfer dialog: {call, error}
  soundBlocked: false, // the browser refused to play received sound until a click (autoplay)
  lang: 'en', // the language the page shows (i18n.js)
  // The phone around the calls (desk.js): recent calls, the directory with
  // presence, do-not-disturb, and which side panel shows.
  history: { calls: [], unseen: 0 }, // calls newest first: {id, dir, number, name, time, …}
  directory: { entries: [], query: '' }, // entries: {number, name, kind}
  presence: {}, // number → available | on_call | ringing | dnd | offline
  dnd: false,
  panel: 'directory', // recent | directory
  settings: false, // the Settings dialog is open
  // Devices (devices.js): what the browser has and what this browser uses.
  devices: {
    mics: [], cameras: [], speakers: [], // [{id, label}]
    mic: '', camera: '', speaker: '', // chosen device ids ('' = the browser's default)
    speakerSupported: false,
    level: 0, // the microphone's level, 0–100, while the Settings dialog is open
  },
  focus: null, // a focus request for the next render: 'number' | 'hangup' | …
};

const views = [];
let scheduled = false;

/** Registers a view: render(state) is called on every render. */
export function onRender(render) {
  views.push(render);
}

/** Schedules a render of the current state (once per microtask). */
export function commit() {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(renderNow);
}

/** Renders at once (tests and the first paint). */
export function renderNow() {
  scheduled = false;
  for (const render of views) {
    try {
      render(state);
    } catch (err) {
      console.error('xphone: a view failed to render', err);
    }
  }
  state.focus = null;
}

/**
 * Wraps a handler so that the state it changes is rendered: after it
 * returns and, when it returns a promise, again when that settles.
 */
export function act(handler) {
  return (...args) => {
    let result;
    try {
      result = handler(...args);
    } finally {
      commit();
    }
    if (result && typeof result.then === 'function') {
      result.then(commit, (err) => {
        commit();
        console.error('xphone: an action failed', err);
      });
    }
    return result;
  };
}
