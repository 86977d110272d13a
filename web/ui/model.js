// The calls of the tab as state, and the core of their life: creating,
// finding, releasing on the server, ending, holding. Other action modules
// build on it; it knows nothing of the DOM (views draw what it leaves in
// the state).

import { state } from './store.js';

/** Dial requests given up before the server named the call: hang up on reply. */
export const abandonedReqs = new Set();
/** Calls this tab gave up on; their late messages must not touch a newer call. */
export const deadCalls = new Set();
/** hold/transfer requests waiting for a possible error: req → {kind, call, on}. */
export const pendingOps = new Map();

/** End reasons of a room dial that open the PIN dialog. */
export const PIN_REASONS = new Set(['pin_required', 'wrong_pin']);

/** Reasons that are a normal end of a call rather than a failure. */
const NORMAL_END = new Set(['hangup', 'cancelled', 'answered_elsewhere', 'local', 'transferred']);

/** Sends msg on the signalling socket; false when there is none or it is not open. */
export function send(msg) {
  return !!state.sig && state.sig.send(msg);
}

/** A fresh request id. */
export function nextReq() {
  return state.sig ? state.sig.nextReq() : 'r0';
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

/** Shows a short message under the status line for a few seconds. */
export function notify(msg, ms = 4000) {
  state.notice = { ...msg, until: Date.now() + ms };
  state.dtmfSeen = '';
}

/** Makes a new call the shown one; the card switches to the in-call layout. */
export function newCall({ direction, id = null, peer, peerName, video }) {
  const call = {
    id, req: null, direction, peer, peerName, video,
    state: 'starting', leg: null, sent: false, ended: false, micMuted: false, videoStopped: false,
    pin: '', conf: null, early: new Map(), videoTracks: new Map(), audioTrack: null, remoteVideoLive: false,
    holdLocal: false, holdRemote: false, consultFor: null, since: 0, transferring: false,
    transferredBy: null, mediaNotes: [], keysSent: '',
    meeting: null, screen: null, screenSender: null, cameraTrack: null, peerScreen: false,
  };
  if (state.calls.length === 0) {
    state.keypadOpen = false;
    state.soundMuted = false;
  }
  state.calls.push(call);
  state.shown = call;
  state.lastEnd = null;
  return call;
}

/** Makes `call` the shown call. */
export function showCall(call) {
  state.shown = call;
}

/** Tells the server this tab is done with `call` (hangup, or decline before accepting). */
export function releaseServerSide(call) {
  if (call.id) deadCalls.add(call.id);
  if (call.direction === 'in' && !call.sent) {
    if (call.id) send({ type: 'decline', call: call.id });
    return;
  }
  if (call.id) {
    send({ type: 'hangup', call: call.id });
  } else if (call.sent && call.req) {
    abandonedReqs.add(call.req);
  }
}

/** The user (or a local failure) ends `call`. */
export function hangupCall(call, reason = 'local', text = null) {
  if (!call || call.ended) return;
  releaseServerSide(call);
  endCall(call, reason, text);
}

/** Hangs up every call of the tab. */
export function hangupAll() {
  for (const c of [...state.calls]) hangupCall(c);
}

/** Ends every call locally (the server ends them too, e.g. the socket closed). */
export function endAll(reason, text = null) {
  for (const c of [...state.calls]) endCall(c, reason, text);
}

/** The text of an end: {key, params} for a reason code, or the text given. */
function endText(call, reason, wasConnected, text) {
  if (text) return text;
  if (reason === 'local') return { key: wasConnected ? 'reason.hangup' : 'reason.cancelled' };
  return { key: `reason.${reason}` };
}

/**
 * Tears down `call` locally and keeps why it ended. When the tab's other
 * call remains, it is shown (still held: the user resumes it) and the
 * reason becomes a notice; otherwise the reason stays in the status line.
 */
export function endCall(call, reason, text = null) {
  if (!call || call.ended) return;
  const wasConnected = call.state === 'connected';
  call.ended = true;
  call.state = 'ended';
  state.calls = state.calls.filter((c) => c !== call);
  if (call.screen) for (const tr of call.screen.stream.getTracks()) tr.stop();
  call.screen = null;
  if (call.leg) call.leg.close();
  call.conf = null;
  call.meeting = null;
  const what = endText(call, reason, wasConnected, text);
  const remaining = state.calls[0] || null;
  if (remaining) {
    for (const c of state.calls) if (c.consultFor === call) c.consultFor = null;
    if (state.shown === call) state.shown = remaining;
    notify({ key: 'notice.call_ended', params: { peer: peerLabel(call), what } });
    return;
  }
  state.shown = null;
  state.transfer = null;
  state.lastEnd = { reason, ...what, failed: !NORMAL_END.has(reason), peer: call.peer,
    duration: wasConnected && call.since ? Date.now() - call.since : 0, at: Date.now() };
  state.focus = state.incoming ? null : 'number-if-lost';
  if (PIN_REASONS.has(reason) && call.direction === 'out' && !state.incoming) {
    state.pin = { number: call.peer, video: call.video, wrong: reason === 'wrong_pin', error: null };
  }
}

/** Removes a lingering end reason from the status line. */
export function clearEnded() {
  state.lastEnd = null;
}

/** Sends a request whose error (if any) comes back with its req. */
export function sendOp(kind, call, msg, extra = {}) {
  const req = nextReq();
  pendingOps.set(req, { kind, call, ...extra });
  // Forget it after a while: errors come back at once or never.
  setTimeout(() => pendingOps.delete(req), 30000);
  return send({ ...msg, req });
}

/** Holds (on) or resumes the 1:1 call (F18); hold-state confirms. */
export function setHold(call, on) {
  if (!call || !call.id || call.conf || call.ended) return;
  call.holdLocal = on;
  sendOp('hold', call, { type: 'hold', call: call.id, on }, { on });
}

/** Shows `target` and resumes it; the call shown until now is held (call waiting). */
export function switchTo(target) {
  const cur = state.shown;
  if (!target || target.ended) return;
  if (cur && cur !== target && cur.state === 'connected' && !cur.conf && !cur.holdLocal) setHold(cur, true);
  if (target.state === 'connected' && target.holdLocal) setHold(target, false);
  state.shown = target;
}
