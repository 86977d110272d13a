// Server messages (docs/signaling.md), each routed to the call of this tab
// it names. The call id is only known once the server answers a dial, so
// `req` links the reply to our dial; calls given up on (deadCalls,
// abandonedReqs) must not be revived by their late messages.

import { state } from './store.js';
import {
  abandonedReqs, callById, deadCalls, endCall, hangupCall, pendingOps, send,
} from './model.js';
import { closeIncoming, onIncoming } from './incoming.js';
import {
  onDTMF, onHoldState, onOpRefused, onPeerCamera,
} from './incall.js';
import { onConferenceMessage } from './rooms.js';
import { onMeetingMessage } from './meeting.js';
import { onHello } from './resume.js';
import { watchMedia } from './mediawatch.js';

/** Clock difference to the server beyond which `since` is not trusted. */
const SKEW_TOLERANCE_MS = 10000;

const handlers = {
  hello: (msg) => {
    onHello(msg);
    state.conn.ready = true;
    state.me = { ext: msg.ext, name: msg.name };
  },
  'call-state': onCallState,
  answer: onAnswer,
  incoming: onIncoming,
  error: onServerError,
  'hold-state': onHoldState,
  dtmf: onDTMF,
  'peer-camera': onPeerCamera,
  conference: onRoomMessage,
  roster: onRoomMessage,
  speakers: onRoomMessage,
  'video-slots': onRoomMessage,
  offer: onRoomMessage,
  meeting: onCallMessage,
  chat: onCallMessage,
  notice: onCallMessage,
  'peer-screen': onCallMessage,
};

/** Adds handlers of more message types (features in other modules). */
export function handle(more) {
  Object.assign(handlers, more);
}

/** Handles one message from the signalling socket. */
export function onMessage(msg) {
  const h = handlers[msg.type];
  // Unknown types are ignored so a newer server does not break this UI.
  if (h) h(msg);
}

function onCallState(msg) {
  if (msg.req && abandonedReqs.has(msg.req)) {
    // We gave up before the server named this call: end it now.
    abandonedReqs.delete(msg.req);
    if (msg.call) deadCalls.add(msg.call);
    if (msg.call && msg.state !== 'ended') send({ type: 'hangup', call: msg.call });
    return;
  }
  if (deadCalls.has(msg.call)) {
    if (msg.state === 'ended') deadCalls.delete(msg.call);
    return;
  }
  const dialing = msg.call && state.calls.find((c) => !c.id && c.sent && c.direction === 'out' &&
    (msg.req ? msg.req === c.req : msg.state === 'dialing'));
  if (dialing) dialing.id = msg.call; // the reply to our dial
  const call = callById(msg.call);
  if (call) {
    updateCall(call, msg);
    return;
  }
  if (state.incoming && msg.call === state.incoming.call && msg.state === 'ended') {
    closeIncoming(); // the caller gave up, or another tab answered
  }
}

function updateCall(call, msg) {
  switch (msg.state) {
    case 'dialing':
      call.state = 'dialing';
      if (msg.peer) call.peer = msg.peer;
      break;
    case 'ringing':
      call.state = 'ringing';
      break;
    case 'transferring':
      // The other party put us through to msg.peer: ringing/connected (or ended) follow.
      call.state = 'transferring';
      call.peer = msg.peer || call.peer;
      call.peerName = '';
      call.holdLocal = false;
      call.holdRemote = false;
      call.since = 0;
      if (msg.by) call.transferredBy = { number: msg.by, name: msg.by_name || '' };
      break;
    case 'connected':
      onConnected(call, msg);
      break;
    case 'ended':
      endCall(call, msg.reason || 'hangup');
      break;
    default:
      break;
  }
}

function onConnected(call, msg) {
  call.state = 'connected';
  if (msg.peer) {
    if (msg.peer !== call.peer) {
      call.peerName = '';
      call.peerCameraOff = false; // a new party (a transfer): its camera is on until it says otherwise
    }
    call.peer = msg.peer;
  }
  if (msg.peer_name) call.peerName = msg.peer_name;
  call.since = timerStart(msg.since);
  call.remoteVideoExpected = msg.video !== false;
  if (call.leg) call.leg.flushDTMF();
  watchMedia(call);
}

/** The local time the call timer counts from, using the server's `since` when clocks agree. */
function timerStart(since) {
  const now = Date.now();
  if (typeof since !== 'number') return now;
  const elapsed = now - since;
  return elapsed >= 0 && elapsed < SKEW_TOLERANCE_MS ? since : now;
}

function onAnswer(msg) {
  if (deadCalls.has(msg.call)) return;
  const call = callById(msg.call) ||
    state.calls.find((c) => !c.id && c.sent && c.direction === 'out') || null;
  if (!call || !call.leg || !call.sent) return;
  if (!call.id && msg.call) call.id = msg.call;
  if (call.answerApplied) return; // sent again after a reconnect
  call.answerApplied = true;
  call.mediaNotes = unusableNotes(msg.unusable);
  call.leg.setAnswer(msg.sdp).catch((err) => {
    console.error('xphone: cannot apply the answer', err);
    if (!call.ended) hangupCall(call, 'media_failed', { key: 'error.negotiation' });
  });
}

/**
 * What the server could not use of our offer (`answer.unusable`), as text
 * objects for the user, e.g. "Your browser's video could not be used:
 * Xphone forwards VP8 or H.264 video, and the browser offered only VP9".
 */
export function unusableNotes(unusable) {
  if (!Array.isArray(unusable)) return [];
  return unusable.filter((u) => u && typeof u === 'object').map((u) => {
    const kind = u.kind === 'audio' ? 'audio' : 'video';
    if (u.reason === 'layers') return { key: 'media.unusable.layers' };
    const offered = Array.isArray(u.offered) ? u.offered.filter((c) => typeof c === 'string') : [];
    if (!offered.length) return { key: `media.unusable.no_codec.${kind}`, params: { want: u.want || '' } };
    return { key: `media.unusable.codec.${kind}`, params: { want: u.want || '', offered: offered.join(', ') } };
  });
}

function onRoomMessage(msg) {
  const call = callById(msg.call);
  if (call) onConferenceMessage(call, msg);
}

/** Meeting messages (meeting.js), and peer-screen of 1:1 calls. */
function onCallMessage(msg) {
  const call = callById(msg.call);
  if (call) onMeetingMessage(call, msg);
}

/** The text of a refused dial or accept: why the server could not take it. */
function refusedCallKey(msg) {
  if (msg.reason === 'no_media_address') return 'error.no_media_address';
  if (msg.reason === 'negotiation') return 'error.negotiation';
  if (msg.reason === 'draining') return 'error.draining';
  if (msg.code === 'busy_here') return 'error.busy_here';
  if (msg.code === 'limit_reached') return 'error.limit_reached';
  return 'error.refused_call';
}

function onServerError(msg) {
  if (msg.req && abandonedReqs.has(msg.req)) {
    abandonedReqs.delete(msg.req);
    return;
  }
  const call = msg.req ? state.calls.find((c) => c.req === msg.req) : null;
  if (call) {
    endCall(call, 'error', { key: refusedCallKey(msg) });
    return;
  }
  const op = msg.req ? pendingOps.get(msg.req) : null;
  if (op) {
    pendingOps.delete(msg.req);
    onOpRefused(op, msg);
    return;
  }
  // e.g. unknown_call for a decline that crossed the caller's cancel.
  console.warn('xphone: server error', msg.code, msg.message);
}
