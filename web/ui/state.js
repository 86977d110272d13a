// The state shared by the modules of the softphone: the tab's calls, the
// bookkeeping of requests and calls given up on, and the lookups most modules
// need. It imports nothing, so every module can use it without an import cycle.

/**
 * The whole UI state. `calls` are this tab's calls (at most two); `call` is
 * the one shown and controlled by the in-call buttons:
 * {id, req, direction: 'out'|'in', peer, peerName, video, state, leg, sent,
 *  ended, micMuted, videoStopped, pin, conf, early, videoTracks, audioTrack,
 *  mediaNotes (what of its media the server could not use, for the user),
 *  holdLocal, holdRemote, consultFor, since}. `state` is one of starting,
 * dialing, ringing, connecting, connected, transferring, ended. `conf` is
 * the Conference of a room call; `early` keeps conference messages that came
 * before `conference`; `videoTracks` maps received video mids to tracks;
 * `holdLocal`/`holdRemote` mirror `hold-state`; `consultFor` is the held call
 * an attended transfer would hand this (consultation) call to.
 */
export const state = {
  view: 'loading', // loading | login | idle | call
  me: null, // {ext, name}
  camera: false,
  call: null,
  calls: [],
  incoming: null, // {call, from, fromName, video}
  lastEnd: null, // {reason, text} while the end reason is shown
  ready: false, // the server greeted this socket (hello): calls can come in
  reconnecting: false, // the socket dropped; the calls wait for it (resume.js)
  lastCloseCode: 0, // of the socket that dropped: 1001 when the server went away
  endTimer: null,
  sig: null,
  soundBlocked: false, // the browser refused to play received sound until a click (autoplay)
};

/** Dial requests given up before the server named the call: hang up on reply. */
export const abandonedReqs = new Set();
/** Calls this tab gave up on; their late messages must not touch a newer call. */
export const deadCalls = new Set();
/** hold/transfer requests waiting for a possible error: req → {kind, call}. */
export const pendingOps = new Map();

/** Sends `msg` on the signalling socket; false when there is none or it is not open. */
export function send(msg) {
  return !!state.sig && state.sig.send(msg);
}

/** The call of this tab with server id `id` (null for unknown or given-up calls). */
export function callById(id) {
  if (!id || deadCalls.has(id)) return null;
  return state.calls.find((c) => c.id === id && !c.ended) || null;
}

/** This tab's other call (besides `call`), or null. */
export function otherCall(call) {
  return state.calls.find((c) => c !== call) || null;
}

/** The peer's number, followed by its name when known. */
export function peerLabel(call) {
  return call.peerName ? `${call.peer} ${call.peerName}` : call.peer;
}
