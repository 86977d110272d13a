// In-call actions of the shown call (docs/signaling.md "In-call features"):
// DTMF both ways (F12), Hold (F18), and the microphone, sound and video toggles.
// Hold and transfer requests are remembered by req (pendingOps) so that a
// refusal can undo what the UI already showed.

import * as ui from './ui.js';
import {
  callById, pendingOps, send, state,
} from './state.js';
import { connectedText, renderCalls } from './callview.js';
import { onMicToggled } from './meeting.js';

const { el } = ui;

// ---------------------------------------------------------------- hold

/** Sends a request whose error (if any) comes back with its req. */
export function sendOp(kind, call, msg, extra = {}) {
  const req = state.sig ? state.sig.nextReq() : 'r0';
  pendingOps.set(req, { kind, call, ...extra });
  // Forget it after a while: errors come back at once or never.
  setTimeout(() => pendingOps.delete(req), 30000);
  return send({ ...msg, req });
}

/** Holds (on) or resumes the 1:1 call (F18). */
export function setHold(call, on) {
  if (!call || !call.id || call.conf || call.ended) return;
  call.holdLocal = on; // hold-state confirms
  sendOp('hold', call, { type: 'hold', call: call.id, on }, { on });
  renderCalls();
}

/** Hold button: holds or resumes the shown connected 1:1 call. */
export function toggleHold() {
  const call = state.call;
  if (!call || call.state !== 'connected' || call.conf) return;
  setHold(call, !call.holdLocal);
}

/** `hold-state`: the server's word on who holds the call. */
export function onHoldState(msg) {
  const call = callById(msg.call);
  if (!call) return;
  call.holdLocal = !!msg.local;
  call.holdRemote = !!msg.remote;
  renderCalls();
}

/** A hold or transfer request was refused: undo what the UI assumed and say why. */
export function onOpRefused(op, msg) {
  if (op.onRefused) {
    if (!op.call.ended) op.onRefused(msg);
    return;
  }
  const why = msg.message || 'Not possible now';
  if (op.kind === 'hold' && !op.call.ended) {
    op.call.holdLocal = !op.on;
    renderCalls();
  }
  if (op.kind === 'transfer' && !op.call.ended) {
    op.call.transferring = false;
    if (state.call === op.call) ui.setStatus(connectedText(op.call));
    renderCalls();
  }
  ui.notice(why.charAt(0).toUpperCase() + why.slice(1));
}

// ---------------------------------------------------------------- DTMF

/** The other party pressed a key: show it briefly (F12). */
export function onDTMF(msg) {
  if (!callById(msg.call) || typeof msg.digit !== 'string') return;
  if (!/^[0-9*#A-D]$/.test(msg.digit)) return;
  ui.showDTMF(msg.digit);
}

/** Sends key as DTMF on the shown call when it is connected; true if sent. */
function sendDTMF(key) {
  const call = state.call;
  if (!call || call.state !== 'connected' || !call.leg) return false;
  return call.leg.sendDTMF(key);
}

/** Keys that are DTMF digits. */
export const DTMF_KEY = /^[0-9*#]$/;

/** Digits typed into the Number field during a call are sent as DTMF (F12). */
export function onNumberInput(ev) {
  if (ev.inputType !== 'insertText' || !ev.data) return;
  for (const ch of ev.data) {
    if (DTMF_KEY.test(ch)) sendDTMF(ch);
  }
}

/** A keypad key: shown in the Number field, and sent as DTMF during a call. */
export function onKeypadDigit(digit) {
  el.number.value += digit;
  sendDTMF(digit); // only during a connected call
}

// ---------------------------------------------------------------- mute toggles

/** Microphone toggle; the state is kept per call and restored when it is shown again. */
export function toggleMic() {
  const call = state.call;
  const muted = !ui.isPressed(el.muteMic);
  if (call && !onMicToggled(call, muted)) return; // a moderator's mute holds
  ui.setPressed(el.muteMic, muted);
  if (call) {
    call.micMuted = muted;
    if (call.leg) call.leg.setMicMuted(muted);
  }
}

/** Sound toggle: mutes what plays, for whichever call is shown. */
export function toggleSound() {
  const muted = !ui.isPressed(el.muteSound);
  ui.setPressed(el.muteSound, muted);
  el.remoteAudio.muted = muted;
}

/** Video toggle: stops sending the camera picture of the shown call. */
export function toggleVideo() {
  const call = state.call;
  const stopped = !ui.isPressed(el.stopVideo);
  ui.setPressed(el.stopVideo, stopped);
  ui.setLocalVideoOff(stopped);
  if (call) {
    call.videoStopped = stopped;
    if (call.leg) call.leg.setVideoStopped(stopped);
    if (call.conf) call.conf.setLocalVideoOff(stopped);
  }
}
