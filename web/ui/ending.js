// Ending calls: the user hanging up, local failures and the server's
// `ended`. When the last call ends, the call buttons come back at once and the
// reason lingers in the status line for ENDED_LINGER_MS; when another call
// remains, it is shown and the reason becomes a notice.

import * as rooms from './rooms.js';
import * as tones from './tones.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';
import {
  abandonedReqs, deadCalls, peerLabel, send, state,
} from './state.js';
import { renderCalls, showCall } from './callview.js';
import { askForPin } from './outgoing.js';
import { endMeeting } from './meeting.js';

const { el } = ui;

/** How long the end reason stays in the status line. */
const ENDED_LINGER_MS = 3000;

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

/** The user (or a local failure) ends the shown call. */
export function hangupActive(reason = 'local', message = '') {
  if (state.call) hangupCall(state.call, reason, message);
}

/** The user (or a local failure) ends `call`. */
export function hangupCall(call, reason = 'local', message = '') {
  if (!call || call.ended) return;
  releaseServerSide(call);
  endCall(call, reason, message);
}

/** Hangs up every call of the tab. */
export function hangupAll() {
  for (const c of [...state.calls]) hangupCall(c);
}

/** Ends every call locally (the server ends them too, e.g. the socket closed). */
export function endAll(reason, message) {
  for (const c of [...state.calls]) endCall(c, reason, message);
}

/**
 * Tears down `call` locally and shows why it ended. When the tab's other
 * call remains, it is shown (still held: the user resumes it).
 */
export function endCall(call, reason, message) {
  if (!call || call.ended) return;
  const wasConnected = call.state === 'connected';
  call.ended = true;
  call.state = 'ended';
  state.calls = state.calls.filter((c) => c !== call);
  if (call.leg) call.leg.close();
  endMeeting(call);
  if (call.conf) {
    call.conf.destroy();
    call.conf = null;
  }
  let text;
  if (reason === 'local') {
    text = wasConnected ? 'Call ended' : 'Cancelled';
  } else {
    text = ui.reasonText(reason, message);
  }
  const remaining = state.calls[0] || null;
  if (remaining) {
    for (const c of state.calls) if (c.consultFor === call) c.consultFor = null;
    if (state.call === call) {
      showCall(remaining);
      if (!state.incoming) tones.stop();
    } else {
      renderCalls();
    }
    ui.notice(`${peerLabel(call)}: ${text}`);
    return;
  }
  state.call = null;
  state.view = state.view === 'call' ? 'idle' : state.view;
  transfer.cancel();
  ui.setConferenceLayout(false);
  if (state.incoming) {
    tones.ring();
  } else {
    tones.stop();
  }
  ui.stopTimer();
  ui.setMedia({ visible: false });
  ui.setInCall(false);
  ui.setStatus(text, ui.isFailure(reason) ? 'failed' : 'ended', reason);
  state.lastEnd = { reason, text };
  clearTimeout(state.endTimer);
  state.endTimer = setTimeout(clearEndedStatus, ENDED_LINGER_MS);
  // The focused control (e.g. Hang up) just disappeared: move focus somewhere useful.
  if (!document.activeElement || document.activeElement === document.body ||
      el.callControls.contains(document.activeElement)) {
    if (!state.incoming) el.number.focus();
  }
  if (rooms.PIN_REASONS.has(reason) && call.direction === 'out' && !state.incoming) askForPin(call, reason);
}

/** Removes a lingering end reason from the status line. */
export function clearEndedStatus() {
  clearTimeout(state.endTimer);
  state.endTimer = null;
  if (state.lastEnd && !state.call) ui.setStatus('');
  state.lastEnd = null;
}
