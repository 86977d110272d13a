// Transfer of a 1:1 call (F19), driven by the Transfer dialog (transfer.js):
// blind, or attended (Consult holds the call and dials the number in a second
// call; Complete transfer then joins the two parties, Cancel goes back).

import * as transfer from './transfer.js';
import * as ui from './ui.js';
import { peerLabel, state } from './state.js';
import { sendOp, setHold } from './incall.js';
import { placeCall } from './outgoing.js';
import { switchTo } from './waiting.js';
import { hangupCall } from './ending.js';

const { el } = ui;

/** Transfer: opens the dialog for the shown connected 1:1 call. */
export function openTransfer() {
  const call = state.call;
  if (!call || call.state !== 'connected' || call.conf) return;
  transfer.open({
    peer: peerLabel(call),
    canConsult: state.calls.length < 2,
    onBlind: (to) => blindTransfer(call, to),
    onConsult: (to) => startConsult(call, to),
    onClose: () => el.number.focus(),
  });
}

/** Blind transfer (F19): the other party is put through to `to`; our call ends with `transferred`. */
function blindTransfer(call, to) {
  if (call.ended || !call.id) return;
  call.transferring = true;
  sendOp('transfer', call, { type: 'transfer', call: call.id, to });
  if (state.call === call) ui.setStatus(`Transferring ${call.peer} to ${to}…`);
  el.number.focus();
}

/** Attended transfer, step 1: hold `held` and call `to` in a second call. */
function startConsult(held, to) {
  if (held.ended || state.calls.length > 1) return;
  if (!held.holdLocal) setHold(held, true);
  placeCall(held.video && state.camera, { to, consultFor: held });
}

/** Attended transfer, step 2: join the held party with the consulted one. */
export function completeTransfer() {
  const consult = state.calls.find((c) => c.consultFor && !c.consultFor.ended);
  if (!consult || consult.state !== 'connected') return;
  const held = consult.consultFor;
  held.transferring = true;
  sendOp('transfer', held, { type: 'transfer', call: held.id, consult: consult.id });
  ui.setStatus(`Transferring ${held.peer} to ${consult.peer}…`);
}

/** Attended transfer given up: hang up the consultation, resume the held call. */
export function cancelConsult() {
  const consult = state.calls.find((c) => c.consultFor);
  if (!consult) return;
  const held = consult.consultFor;
  hangupCall(consult);
  if (!held.ended) {
    switchTo(held);
    if (held.holdLocal) setHold(held, false);
  }
}
