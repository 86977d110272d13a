// Outgoing calls: Enter (audio) or Shift+Enter (video) in the Number field,
// the call buttons, the consultation call of an attended transfer, and the
// redial of a PIN-protected room with its PIN.

import { state } from './store.js';
import { endCall, newCall, nextReq, send } from './model.js';
import { prepareLeg } from './media.js';

/** Trims what the user typed; keeps digits, *, # and a leading +. */
export function normalizeNumber(text) {
  return text.replace(/[\s().-]/g, '');
}

/**
 * Places a call to the Number field (or opts.to), with opts.pin for PIN
 * rooms. opts.consultFor (a held call) makes it the consultation call of an
 * attended transfer, placed while that call is held.
 */
export async function placeCall(video, opts = {}) {
  if (opts.consultFor) {
    if (state.calls.length !== 1 || state.calls[0] !== opts.consultFor) return;
  } else if (state.calls.length || state.view !== 'main') {
    return;
  }
  const to = opts.to || normalizeNumber(state.number);
  if (!to) {
    state.lastEnd = { reason: 'input', key: 'phone.enter_number', failed: true };
    state.focus = 'number';
    return;
  }
  if (!state.sig || !state.sig.connected) {
    state.lastEnd = { reason: 'offline', key: 'conn.not_connected_retrying', failed: true };
    return;
  }
  const call = newCall({ direction: 'out', peer: to, peerName: '', video });
  call.pin = opts.pin || '';
  call.consultFor = opts.consultFor || null;
  state.focus = 'hangup-if-call-button';
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = nextReq();
  call.sent = true;
  const dial = { type: 'dial', req: call.req, to, video, sdp };
  if (call.pin) dial.pin = call.pin;
  if (!send(dial)) endCall(call, 'error', { key: 'conn.not_connected' });
}

/** Join in the PIN dialog: dials the room again with the PIN. */
export function joinWithPin(code) {
  const p = state.pin;
  if (!p) return;
  const pin = code.replace(/\s+/g, '');
  if (!pin) {
    p.error = { key: 'pin.enter' };
    p.wrong = false;
    return;
  }
  state.pin = null;
  state.number = p.number;
  placeCall(p.video, { to: p.number, pin });
}

/** Cancel in the PIN dialog. */
export function cancelPin() {
  if (!state.pin) return;
  state.pin = null;
  state.focus = 'number';
}
