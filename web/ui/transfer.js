// Transfer of a 1:1 call (F19), driven by the Transfer dialog: blind, or
// attended (Consult holds the call and dials the number in a second call;
// Complete transfer then joins the two parties, Cancel goes back).

import { state } from './store.js';
import {
  hangupCall, sendOp, setHold, switchTo,
} from './model.js';
import { normalizeNumber, placeCall } from './outgoing.js';

/** Transfer: opens the dialog for the shown connected 1:1 call. */
export function openTransfer() {
  const call = state.shown;
  if (!call || call.state !== 'connected' || call.conf) return;
  state.transfer = { call, error: null };
}

/** Cancel (or Escape) in the dialog. */
export function cancelTransfer() {
  if (!state.transfer) return;
  state.transfer = null;
  state.focus = 'number';
}

/** The number typed into the dialog, or null (and the dialog says so). */
function target(text) {
  const to = normalizeNumber(text || '');
  if (!to) {
    state.transfer.error = { key: 'transfer.enter_number' };
    return null;
  }
  return to;
}

/** Transfer now (or Enter): the other party is put through to the number. */
export function transferNow(text) {
  const d = state.transfer;
  if (!d) return;
  const to = target(text);
  if (!to) return;
  state.transfer = null;
  state.focus = 'number';
  const call = d.call;
  if (call.ended || !call.id) return;
  call.transferring = true;
  call.transferTo = to;
  sendOp('transfer', call, { type: 'transfer', call: call.id, to });
}

/** Consult: hold the call and call the number in a second call. */
export function consult(text) {
  const d = state.transfer;
  if (!d || state.calls.length > 1) return;
  const to = target(text);
  if (!to) return;
  state.transfer = null;
  const held = d.call;
  if (held.ended) return;
  if (!held.holdLocal) setHold(held, true);
  placeCall(held.video && state.camera, { to, consultFor: held });
}

/** The consultation call of an attended transfer, if any. */
export function consultCall() {
  return state.calls.find((c) => c.consultFor && !c.consultFor.ended) || null;
}

/** Complete transfer: join the held party with the consulted one. */
export function completeTransfer() {
  const c = consultCall();
  if (!c || c.state !== 'connected') return;
  const held = c.consultFor;
  held.transferring = true;
  held.transferTo = c.peer;
  sendOp('transfer', held, { type: 'transfer', call: held.id, consult: c.id });
}

/** Cancel in the transfer bar: hang up the consultation, resume the held call. */
export function cancelConsult() {
  const c = state.calls.find((x) => x.consultFor);
  if (!c) return;
  const held = c.consultFor;
  hangupCall(c);
  if (!held.ended) {
    switchTo(held);
    if (held.holdLocal) setHold(held, false);
  }
}
