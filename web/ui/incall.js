// In-call actions of the shown call (docs/signaling.md "In-call features"):
// DTMF both ways (F12), Hold (F18), switching between two calls, and the
// microphone, sound and video toggles.

import { state } from './store.js';
import {
  callById, notify, otherCall, send, setHold, switchTo,
} from './model.js';
import { onMicToggled } from './meeting.js';

/** Keys that are DTMF digits. */
export const DTMF_KEY = /^[0-9*#]$/;

/** Hold button: holds or resumes the shown connected 1:1 call. */
export function toggleHold() {
  const call = state.shown;
  if (!call || call.state !== 'connected' || call.conf) return;
  setHold(call, !call.holdLocal);
}

/** Switch call: shows and resumes the tab's other call. */
export function switchCall() {
  const other = otherCall(state.shown);
  if (other) switchTo(other);
}

/** Resume in the call list: switches to the call with that key. */
export function resumeCall(key) {
  switchTo(state.calls.find((c) => callKey(c) === key));
}

/** A stable key of a call for lists (its id, else its request). */
export function callKey(c) {
  return c.id || c.req || 'new';
}

/** `hold-state`: the server's word on who holds the call. */
export function onHoldState(msg) {
  const call = callById(msg.call);
  if (!call) return;
  call.holdLocal = !!msg.local;
  call.holdRemote = !!msg.remote;
}

/** A hold or transfer request was refused: undo what the UI assumed and say why. */
export function onOpRefused(op, msg) {
  if (op.onRefused) {
    if (!op.call.ended) op.onRefused(msg);
    return;
  }
  if (op.kind === 'hold' && !op.call.ended) op.call.holdLocal = !op.on;
  if (op.kind === 'transfer' && !op.call.ended) op.call.transferring = false;
  notify({ key: op.kind === 'transfer' ? 'refused.transfer' : 'refused.hold', params: { why: refusalText(msg) } });
}

/** The text object of a refusal (error code not_allowed and its reason). */
function refusalText(msg) {
  const reason = msg.reason || '';
  if (['not_connected', 'in_conference', 'store_down', 'across_nodes'].includes(reason)) return { key: `refused.${reason}` };
  if (reason) return { key: `reason.${reason}` };
  return { key: 'refused.not_now' };
}

/** The other party pressed a key: show it briefly (F12). */
export function onDTMF(msg) {
  if (!callById(msg.call) || typeof msg.digit !== 'string') return;
  if (!/^[0-9*#A-D]$/.test(msg.digit)) return;
  const keys = state.dtmfSeen + msg.digit;
  notify({ key: 'incall.dtmf_received', params: { keys } });
  state.dtmfSeen = keys;
  state.notice.kind = 'dtmf';
}

/** Sends key as DTMF on the shown call when it is connected; true if sent. */
export function sendDTMF(key) {
  const call = state.shown;
  if (!call || call.state !== 'connected' || !call.leg) return false;
  if (!call.leg.sendDTMF(key)) return false;
  call.keysSent += key;
  return true;
}

/** Whether typing in the Number field now goes out as DTMF instead of into the field. */
export function dtmfMode() {
  return !!state.shown && state.shown.state === 'connected' && !state.shown.conf;
}

/** A keypad key: DTMF during a connected call, else appended to the Number field. */
export function onKeypadDigit(digit) {
  if (state.shown) {
    sendDTMF(digit);
    return;
  }
  state.number += digit;
  state.lastEnd = null;
}

/** Microphone toggle; kept per call and restored when it is shown again. */
export function toggleMic() {
  const call = state.shown;
  if (!call) return;
  if (!onMicToggled(call, !call.micMuted)) return; // a moderator's mute holds
  call.micMuted = !call.micMuted;
  if (call.leg) call.leg.setMicMuted(call.micMuted);
}

/** Sound toggle: mutes what plays, for whichever call is shown. */
export function toggleSound() {
  state.soundMuted = !state.soundMuted;
}

/**
 * Video toggle: stops sending the camera picture of the shown call, and
 * tells the other party, whose UI shows our avatar ("Camera off").
 */
export function toggleVideo() {
  const call = state.shown;
  if (!call) return;
  call.videoStopped = !call.videoStopped;
  if (call.leg) call.leg.setVideoStopped(call.videoStopped);
  if (call.id && !call.conf) send({ type: 'camera', call: call.id, on: !call.videoStopped });
}

/** `peer-camera`: the other party turned its camera off or on. */
export function onPeerCamera(msg) {
  const call = callById(msg.call);
  if (call) call.peerCameraOff = !msg.on;
}

/** The keypad button opens or closes the on-screen keypad. */
export function toggleKeypad() {
  state.keypadOpen = !state.keypadOpen;
}
