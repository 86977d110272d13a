// Server messages (docs/signaling.md): each is routed to the call of this tab
// it names. The call id is only known once the server answers a dial, so
// `req` links the reply to our dial; calls given up on (deadCalls,
// abandonedReqs) must not be revived by their late messages.

import * as rooms from './rooms.js';
import * as tones from './tones.js';
import * as ui from './ui.js';
import {
  abandonedReqs, callById, deadCalls, pendingOps, send, state,
} from './state.js';
import { connectedText, renderCalls } from './callview.js';
import { closeIncoming, onIncoming } from './incoming.js';
import { onDTMF, onHoldState, onOpRefused } from './incall.js';
import { endCall, hangupCall } from './ending.js';
import { startCallTimer } from './mediawatch.js';

/** Clock difference to the server beyond which `since` is not trusted. */
const SKEW_TOLERANCE_MS = 10000;

/** Handles one message from the signalling socket. */
export function onMessage(msg) {
  switch (msg.type) {
    case 'hello':
      state.ready = true;
      state.me = { ext: msg.ext, name: msg.name };
      ui.setUser(msg.ext, msg.name);
      break;
    case 'call-state':
      onCallState(msg);
      break;
    case 'answer':
      onAnswer(msg);
      break;
    case 'incoming':
      onIncoming(msg);
      break;
    case 'error':
      onServerError(msg);
      break;
    case 'hold-state':
      onHoldState(msg);
      break;
    case 'dtmf':
      onDTMF(msg);
      break;
    case 'conference':
    case 'roster':
    case 'speakers':
    case 'video-slots':
    case 'offer':
      onConferenceMessage(msg);
      break;
    default:
      // Unknown types are ignored so a newer server does not break this UI.
      break;
  }
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
    // The caller gave up, or another tab answered.
    closeIncoming();
  }
}

function updateCall(call, msg) {
  const shown = state.call === call;
  switch (msg.state) {
    case 'dialing':
      call.state = 'dialing';
      if (msg.peer) call.peer = msg.peer;
      if (shown) ui.setStatus(`Dialing ${call.peer}…`);
      break;
    case 'ringing':
      call.state = 'ringing';
      if (shown) {
        ui.setStatus(`Ringing ${call.peer}…`);
        if (!state.incoming) tones.ringback();
      }
      break;
    case 'transferring':
      // The other party put us through to msg.peer: ringing/connected (or ended) follow.
      call.state = 'transferring';
      call.peer = msg.peer || call.peer;
      call.peerName = '';
      call.holdLocal = false;
      call.holdRemote = false;
      if (shown) {
        ui.stopTimer();
        ui.setMedia({ visible: true, video: call.video, peer: call.peer, peerName: '' });
        ui.setStatus(`Transferring to ${call.peer}…`);
      }
      break;
    case 'connected':
      onConnected(call, msg);
      break;
    case 'ended':
      endCall(call, msg.reason || 'hangup', msg.message);
      return;
    default:
      break;
  }
  renderCalls();
}

function onConnected(call, msg) {
  call.state = 'connected';
  if (msg.peer) {
    if (msg.peer !== call.peer) call.peerName = '';
    call.peer = msg.peer;
  }
  if (msg.peer_name) call.peerName = msg.peer_name;
  call.since = timerStart(msg.since);
  if (state.call !== call) return;
  if (!state.incoming) tones.stop();
  if (call.conf) {
    ui.setStatus(call.conf.title);
    startCallTimer(call);
    return;
  }
  ui.setStatus(connectedText(call));
  ui.setMedia({ visible: true, video: call.video, peer: call.peer, peerName: call.peerName });
  if (msg.video === false) ui.setRemoteVideoActive(false);
  startCallTimer(call);
  call.leg && call.leg.flushDTMF();
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
  call.leg.setAnswer(msg.sdp).catch((err) => {
    console.error('xphone: cannot apply the answer', err);
    if (!call.ended) hangupCall(call, 'media_failed', 'Media negotiation failed');
  });
}

function onConferenceMessage(msg) {
  const call = callById(msg.call);
  if (!call) return;
  rooms.onMessage(call, msg, {
    me: state.me,
    send,
    isActive: () => !call.ended,
  });
  if (msg.type === 'conference') renderCalls(); // no Hold or Transfer in rooms (F24)
}

function onServerError(msg) {
  if (msg.req && abandonedReqs.has(msg.req)) {
    abandonedReqs.delete(msg.req);
    return;
  }
  const call = msg.req ? state.calls.find((c) => c.req === msg.req) : null;
  if (call) {
    endCall(call, 'error', msg.message || 'The server refused the call');
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
