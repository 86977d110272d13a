// Outgoing calls: Enter (audio) or Shift+Enter (video) in the Number field,
// the call buttons, the consultation call of an attended transfer, and the
// redial of a PIN-protected room with its PIN (pin.js).

import * as pin from './pin.js';
import * as ui from './ui.js';
import { send, state } from './state.js';
import { beginCall, renderCalls } from './callview.js';
import { prepareLeg } from './media.js';
import { DTMF_KEY } from './incall.js';
import { clearEndedStatus, endCall } from './ending.js';

const { el } = ui;

/** Trims what the user typed; keeps digits, *, # and a leading +. */
function normalizeNumber(text) {
  return text.replace(/[\s().-]/g, '');
}

/** Enter dials (Shift+Enter: video); a held-down DTMF key is not repeated. */
export function onNumberKey(ev) {
  // Holding a key down must not send it again and again (F12).
  if (ev.repeat && DTMF_KEY.test(ev.key) && state.call && state.call.state === 'connected') {
    ev.preventDefault();
    return;
  }
  if (ev.key !== 'Enter' || ev.isComposing) return;
  ev.preventDefault();
  if (state.call) return;
  placeCall(ev.shiftKey && !el.videoCall.disabled);
}

/**
 * Places a call to the Number field (or opts.to), with opts.pin for PIN
 * rooms. opts.consultFor (a held call) makes it the consultation call of an
 * attended transfer, placed while that call is held.
 */
export async function placeCall(video, opts = {}) {
  if (opts.consultFor) {
    if (state.calls.length !== 1 || state.calls[0] !== opts.consultFor) return;
  } else if (state.calls.length || state.view !== 'idle') {
    return;
  }
  const to = opts.to || normalizeNumber(el.number.value);
  if (!to) {
    clearEndedStatus();
    ui.setStatus('Enter a number to call', 'failed');
    el.number.focus();
    return;
  }
  if (!state.sig || !state.sig.connected) {
    clearEndedStatus();
    ui.setStatus('Not connected to the server, retrying…', 'failed');
    return;
  }
  const call = beginCall({ direction: 'out', peer: to, peerName: '', video });
  call.pin = opts.pin || '';
  call.consultFor = opts.consultFor || null;
  ui.setStatus(`Dialing ${to}…`);
  renderCalls();
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = state.sig ? state.sig.nextReq() : 'r0';
  call.sent = true;
  const dial = { type: 'dial', req: call.req, to, video, sdp };
  if (call.pin) dial.pin = call.pin;
  if (!send(dial)) {
    endCall(call, 'error', 'Not connected to the server');
  }
}

/** A room refused the dial for its PIN: ask for it, and Join dials again with it. */
export function askForPin(call, reason) {
  pin.open({
    number: call.peer,
    video: call.video,
    wrong: reason === 'wrong_pin',
    onJoin: ({ number, video, pin: code }) => {
      el.number.value = number;
      placeCall(video, { to: number, pin: code });
    },
    onCancel: () => el.number.focus(),
  });
}
