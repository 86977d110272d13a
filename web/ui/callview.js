// What the phone card shows for this tab's calls: which call is shown, its
// status line, the call list, the attended-transfer bar and which in-call
// buttons are offered. Everything here redraws from `state`, so it can be
// called again after any change.

import * as ui from './ui.js';
import { otherCall, peerLabel, state } from './state.js';
import { attachRemoteAudio, attachRemoteVideo } from './media.js';
import { switchTo } from './waiting.js';
import { clearEndedStatus } from './ending.js';
import { startCallTimer } from './mediawatch.js';

const { el } = ui;

/** The status line of a connected 1:1 call, including its hold state (F18). */
export function connectedText(call) {
  if (call.conf) return call.conf.title;
  if (call.holdRemote && call.holdLocal) return `On hold (you also hold ${call.peer})`;
  if (call.holdRemote) return 'On hold';
  if (call.holdLocal) return `You put ${call.peer} on hold`;
  return `Connected to ${peerLabel(call)}`;
}

/** A short state of a call for the call list. */
function listState(call) {
  switch (call.state) {
    case 'connected':
      if (call.holdLocal || call.holdRemote) return 'On hold';
      return call === state.call ? 'Active' : 'Connected';
    case 'ringing': return 'Ringing';
    case 'transferring': return 'Transferring';
    case 'ended': return 'Ended';
    default: return 'Calling';
  }
}

/**
 * Redraws what depends on the set of calls: Hold/Transfer/Switch call, the
 * call list and the attended-transfer bar.
 */
export function renderCalls() {
  const call = state.call;
  if (!call) {
    el.media.classList.remove('on-hold');
    ui.setCallFeatures({});
    ui.setCallList([], null);
    ui.setTransferBar(null);
    return;
  }
  const oneToOne = call.state === 'connected' && !call.conf && !!call.id;
  const other = otherCall(call);
  ui.setCallFeatures({
    hold: oneToOne,
    held: !!call.holdLocal,
    transfer: oneToOne && !call.consultFor,
    switchable: !!other && other.state === 'connected' && !other.conf,
  });
  ui.setCallList(state.calls.map((c) => ({
    key: c.id || c.req || 'new',
    label: peerLabel(c),
    state: listState(c),
    active: c === call,
    canResume: c !== call && c.state === 'connected' && !c.conf,
  })), (key) => switchTo(state.calls.find((c) => (c.id || c.req || 'new') === key)));
  const consult = state.calls.find((c) => c.consultFor && !c.consultFor.ended);
  ui.setTransferBar(consult ? {
    text: consult.state === 'connected'
      ? `Talking to ${consult.peer} · ${consult.consultFor.peer} on hold`
      : `Calling ${consult.peer} · ${consult.consultFor.peer} on hold`,
    canComplete: consult.state === 'connected' && !!consult.consultFor.id,
  } : null);
  if (call.state === 'connected' && !call.conf) ui.setStatus(connectedText(call));
  // Held either way: the last picture stays, dimmed, until the call resumes.
  el.media.classList.toggle('on-hold', !call.conf && (call.holdLocal || call.holdRemote));
}

/** Makes `call` the shown call and switches the card to the in-call layout. */
export function beginCall({ direction, id = null, peer, peerName, video }) {
  clearEndedStatus();
  const call = {
    id, req: null, direction, peer, peerName, video,
    state: 'starting', leg: null, sent: false, ended: false, micMuted: false, videoStopped: false,
    pin: '', conf: null, early: new Map(), videoTracks: new Map(), audioTrack: null,
    holdLocal: false, holdRemote: false, consultFor: null, since: 0, transferring: false,
  };
  const second = state.calls.length > 0;
  state.calls.push(call);
  state.call = call;
  state.view = 'call';
  if (!second) ui.setKeypadOpen(false);
  ui.setConferenceLayout(false);
  ui.setInCall(true, { video });
  ui.setPressed(el.muteMic, false);
  ui.setPressed(el.stopVideo, false);
  ui.setLocalVideoOff(false);
  ui.setMedia({ visible: true, video, peer, peerName });
  ui.setRemoteVideoActive(false);
  // The other call's media must not play under this one.
  el.remoteAudio.srcObject = null;
  el.remoteVideo.srcObject = null;
  el.localVideo.srcObject = null;
  el.remoteAudio.muted = second && ui.isPressed(el.muteSound);
  if (!second) ui.setPressed(el.muteSound, false);
  ui.stopTimer();
  // Keep focus in the Number field (typing goes on there during a call). Only
  // when the pressed call button just disappeared, move focus to Hang up; never
  // during an Enter keydown, or that same key press would click Hang up.
  if (el.callButtons.contains(document.activeElement)) el.hangup.focus();
  return call;
}

/** Makes `call` the shown call: media elements, toggles, timer and status follow it. */
export function showCall(call) {
  state.call = call;
  state.view = 'call';
  ui.setConferenceLayout(!!call.conf);
  ui.setInCall(true, { video: call.video });
  ui.setPressed(el.muteMic, call.micMuted);
  ui.setPressed(el.stopVideo, call.videoStopped);
  ui.setMedia({ visible: !call.conf, video: call.video, peer: call.peer, peerName: call.peerName });
  ui.setLocalVideoOff(call.videoStopped);
  el.localVideo.srcObject = call.video && call.leg ? call.leg.stream : null;
  if (call.video && call.leg) ui.play(el.localVideo);
  attachRemoteAudio(call);
  attachRemoteVideo(call);
  if (call.state === 'connected') {
    ui.setStatus(connectedText(call));
    startCallTimer(call);
  } else {
    ui.stopTimer();
    ui.setStatus(call.state === 'ringing' ? `Ringing ${call.peer}…` : `Dialing ${call.peer}…`);
  }
  renderCalls();
}
