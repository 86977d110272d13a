// Xphone browser softphone: the state machine that ties the HTTP API, the
// signalling socket, the call leg and the DOM together.
//
// Behaviour worth knowing:
// - Enter in the Number field starts an AUDIO call (never turns the camera on
//   by surprise); Shift+Enter starts a video call when a camera exists.
// - When a call ends, the in-call controls disappear at once and the call
//   buttons come back (so the user can call again immediately); the reason
//   stays in the status line for ENDED_LINGER_MS, then the status clears.
// - Closing the tab sends `hangup` (or `decline` for a call being accepted)
//   before the socket goes away (SPEC F11).
// - Conference rooms (conference.js, tiles.js): a call that gets `conference`
//   switches to the tile view; a dial refused for its PIN opens the PIN
//   dialog (pin.js), whose Join dials the room again with the PIN.
// - For tests and debugging: window.xphone.pc() is the current
//   RTCPeerConnection, window.xphone.state() is {view, callState, callId, …},
//   window.xphone.conference() the conference state (or null).

import * as api from './api.js';
import { Signaling } from './signaling.js';
import {
  CallLeg, getLocalMedia, hasCamera, mediaErrorText, webrtcSupported,
} from './call.js';
import * as pin from './pin.js';
import * as rooms from './rooms.js';
import * as tones from './tones.js';
import * as ui from './ui.js';

const { el } = ui;

/** How long the end reason stays in the status line. */
const ENDED_LINGER_MS = 3000;
/** Clock difference to the server beyond which `since` is not trusted. */
const SKEW_TOLERANCE_MS = 10000;

const NO_CAMERA_TEXT = 'No camera found: video calls need a camera';

/**
 * The whole UI state. `call` is the one active call of this tab:
 * {id, req, direction: 'out'|'in', peer, peerName, video, state, leg, sent,
 *  ended, micMuted, videoStopped, pin, conf, early, videoTracks}. `state` is
 * one of starting, dialing, ringing, connecting, connected, ended. `conf` is
 * the Conference of a room call; `early` keeps conference messages that came
 * before `conference`; `videoTracks` maps received video mids to tracks.
 */
const state = {
  view: 'loading', // loading | login | idle | call
  me: null, // {ext, name}
  camera: false,
  call: null,
  incoming: null, // {call, from, fromName, video}
  lastEnd: null, // {reason, text} while the end reason is shown
  ready: false, // the server greeted this socket (hello): calls can come in
  endTimer: null,
  sig: null,
};

/** Dial requests given up before the server named the call: hang up on reply. */
const abandonedReqs = new Set();
/** Calls this tab gave up on; their late messages must not touch a newer call. */
const deadCalls = new Set();

window.xphone = Object.freeze({
  pc: () => (state.call && state.call.leg ? state.call.leg.pc : null),
  state: () => ({
    view: state.view,
    callState: state.call ? state.call.state : (state.lastEnd ? 'ended' : 'idle'),
    callId: state.call ? state.call.id : null,
    video: state.call ? state.call.video : null,
    incoming: state.incoming ? state.incoming.call : null,
    reason: state.lastEnd ? state.lastEnd.reason : null,
    connected: !!(state.sig && state.sig.connected),
    ready: state.ready,
  }),
  conference: () => (state.call && state.call.conf ? state.call.conf.snapshot() : null),
});

// ---------------------------------------------------------------- startup

async function main() {
  ui.init();
  ui.buildKeypad(onKeypadDigit);
  pin.init();
  wireEvents();
  if (webrtcSupported()) {
    await refreshCamera();
    navigator.mediaDevices.addEventListener('devicechange', refreshCamera);
  } else {
    ui.setCallingAvailable(false, 'Calls need a current browser and an HTTPS connection');
  }
  let session;
  try {
    session = await api.getSession();
  } catch (err) {
    showLogin(err.message);
    return;
  }
  if (session) {
    enterMain(session);
  } else {
    showLogin('');
  }
}

/** Detects a camera and enables or disables Video call (SPEC F9). */
async function refreshCamera() {
  state.camera = await hasCamera();
  ui.setCameraAvailable(state.camera, NO_CAMERA_TEXT);
}

function wireEvents() {
  el.loginForm.addEventListener('submit', onLoginSubmit);
  el.logout.addEventListener('click', doLogout);
  el.keypadToggle.addEventListener('click', () => {
    ui.setKeypadOpen(el.keypad.hidden);
  });
  el.number.addEventListener('keydown', onNumberKey);
  el.audioCall.addEventListener('click', () => placeCall(false));
  el.videoCall.addEventListener('click', () => placeCall(true));
  el.hangup.addEventListener('click', () => hangupActive());
  el.muteMic.addEventListener('click', toggleMic);
  el.muteSound.addEventListener('click', toggleSound);
  el.stopVideo.addEventListener('click', toggleVideo);
  el.acceptAudio.addEventListener('click', () => acceptIncoming(false));
  el.acceptVideo.addEventListener('click', () => acceptIncoming(true));
  el.decline.addEventListener('click', declineIncoming);

  // Browsers allow sound only after a gesture: unlock the ring tone early.
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, tones.unlock, { capture: true, passive: true });
  }
  // F11: closing the tab ends the call at once.
  window.addEventListener('pagehide', onPageHide);
  // A page restored from the back/forward cache has a dead socket: start over.
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) location.reload(); });
}

// ---------------------------------------------------------------- login / logout

async function onLoginSubmit(ev) {
  ev.preventDefault();
  const ext = el.loginExt.value.trim();
  const password = el.loginPassword.value;
  if (!ext || !password) {
    ui.setLoginError('Enter your extension and password');
    (ext ? el.loginPassword : el.loginExt).focus();
    return;
  }
  ui.setLoginError('');
  ui.setLoginBusy(true);
  try {
    const session = await api.login(ext, password);
    el.loginPassword.value = '';
    enterMain(session);
  } catch (err) {
    ui.setLoginError(err.message);
    el.loginPassword.focus();
    el.loginPassword.select();
  } finally {
    ui.setLoginBusy(false);
  }
}

async function doLogout() {
  if (state.call) hangupActive();
  try {
    await api.logout();
  } catch (err) {
    console.warn('xphone: logout failed', err);
  }
  showLogin('');
}

/** Shows the login form; `error` goes to the role=alert element. */
function showLogin(error) {
  stopSignaling();
  if (state.call) endCall('error', 'Logged out');
  closeIncoming();
  clearEndedStatus();
  state.view = 'login';
  state.me = null;
  ui.setUser('', '');
  ui.setConnectionLost(false);
  ui.setLoginError(error);
  ui.showView('login');
  el.loginPassword.value = '';
  (el.loginExt.value ? el.loginPassword : el.loginExt).focus();
}

/** Shows the main screen for the session {ext, name} and connects the socket. */
function enterMain(session) {
  state.me = session;
  state.view = 'idle';
  ui.setUser(session.ext, session.name);
  ui.setInCall(false);
  ui.setMedia({ visible: false });
  ui.setStatus('');
  ui.showView('main');
  startSignaling();
  el.number.focus();
}

// ---------------------------------------------------------------- signalling

function startSignaling() {
  stopSignaling();
  const sig = new Signaling({ shouldReconnect: sessionStillValid });
  sig.addEventListener('open', () => ui.setConnectionLost(false));
  sig.addEventListener('message', (ev) => onMessage(ev.detail));
  sig.addEventListener('close', (ev) => onSocketClosed(ev.detail));
  state.sig = sig;
  sig.start();
}

function stopSignaling() {
  state.ready = false;
  if (state.sig) {
    state.sig.stop();
    state.sig = null;
  }
}

/** Asked before each reconnect: a 401 means the session is gone, so log in again. */
async function sessionStillValid() {
  const session = await api.getSession(); // throws when unreachable: keep retrying
  if (!session) {
    showLogin('Your session has ended. Please log in again.');
    return false;
  }
  return true;
}

function send(msg) {
  return !!state.sig && state.sig.send(msg);
}

function onSocketClosed({ willReconnect }) {
  state.ready = false;
  if (state.view === 'login') return;
  ui.setConnectionLost(willReconnect);
  // The server hangs up a closed socket's calls; mirror that locally.
  if (state.call) endCall('error', 'Connection to the server was lost');
  closeIncoming();
}

function onMessage(msg) {
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
  const call = state.call;
  if (call && !call.id && call.sent && msg.call &&
      (msg.req ? msg.req === call.req : msg.state === 'dialing')) {
    call.id = msg.call; // the reply to our dial
  }
  if (call && msg.call && msg.call === call.id) {
    updateCall(call, msg);
    return;
  }
  if (state.incoming && msg.call === state.incoming.call && msg.state === 'ended') {
    // The caller gave up, or another tab answered.
    closeIncoming();
  }
}

function updateCall(call, msg) {
  switch (msg.state) {
    case 'dialing':
      call.state = 'dialing';
      if (msg.peer) call.peer = msg.peer;
      ui.setStatus(`Dialing ${call.peer}…`);
      break;
    case 'ringing':
      call.state = 'ringing';
      ui.setStatus(`Ringing ${call.peer}…`);
      if (!state.incoming) tones.ringback();
      break;
    case 'connected':
      onConnected(call, msg);
      break;
    case 'ended':
      endCall(msg.reason || 'hangup', msg.message);
      break;
    default:
      break;
  }
}

function onConnected(call, msg) {
  call.state = 'connected';
  if (!state.incoming) tones.stop();
  if (msg.peer) call.peer = msg.peer;
  if (msg.peer_name) call.peerName = msg.peer_name;
  if (call.conf) {
    ui.setStatus(call.conf.title);
    ui.startTimer(timerStart(msg.since));
    return;
  }
  ui.setStatus(`Connected to ${peerLabel(call)}`);
  ui.setMedia({ visible: true, video: call.video, peer: call.peer, peerName: call.peerName });
  if (msg.video === false) ui.setRemoteVideoActive(false);
  ui.startTimer(timerStart(msg.since));
}

/** The local time the call timer counts from, using the server's `since` when clocks agree. */
function timerStart(since) {
  const now = Date.now();
  if (typeof since !== 'number') return now;
  const elapsed = now - since;
  return elapsed >= 0 && elapsed < SKEW_TOLERANCE_MS ? since : now;
}

function peerLabel(call) {
  return call.peerName ? `${call.peer} ${call.peerName}` : call.peer;
}

function onAnswer(msg) {
  const call = state.call;
  if (!call || !call.leg || !call.sent || deadCalls.has(msg.call)) return;
  if (call.id && msg.call && msg.call !== call.id) return;
  if (!call.id && msg.call) call.id = msg.call;
  call.leg.setAnswer(msg.sdp).catch((err) => {
    console.error('xphone: cannot apply the answer', err);
    if (state.call === call) hangupActive('media_failed', 'Media negotiation failed');
  });
}

// ---------------------------------------------------------------- conference rooms

/** The active call that msg (which names a call) is about, or null. */
function callOf(msg) {
  const call = state.call;
  if (!call || !msg.call || deadCalls.has(msg.call) || call.id !== msg.call) return null;
  return call;
}

function onConferenceMessage(msg) {
  const call = callOf(msg);
  if (!call) return;
  rooms.onMessage(call, msg, {
    me: state.me,
    send,
    isActive: () => state.call === call,
  });
}

function onServerError(msg) {
  if (msg.req && abandonedReqs.has(msg.req)) {
    abandonedReqs.delete(msg.req);
    return;
  }
  const call = state.call;
  if (call && msg.req && msg.req === call.req) {
    endCall('error', msg.message || 'The server refused the call');
    return;
  }
  // e.g. unknown_call for a decline that crossed the caller's cancel.
  console.warn('xphone: server error', msg.code, msg.message);
}

// ---------------------------------------------------------------- outgoing calls

/** Trims what the user typed; keeps digits, *, # and a leading +. */
function normalizeNumber(text) {
  return text.replace(/[\s().-]/g, '');
}

function onNumberKey(ev) {
  if (ev.key !== 'Enter' || ev.isComposing) return;
  ev.preventDefault();
  if (state.call) return;
  placeCall(ev.shiftKey && !el.videoCall.disabled);
}

function onKeypadDigit(digit) {
  el.number.value += digit;
  // Later: during a connected call the digit is also sent as DTMF (F12).
}

/** Places a call to the Number field (or opts.to), with opts.pin for PIN rooms. */
async function placeCall(video, opts = {}) {
  if (state.call || state.view !== 'idle') return;
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
  ui.setStatus(`Dialing ${to}…`);
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = state.sig ? state.sig.nextReq() : 'r0';
  call.sent = true;
  const dial = { type: 'dial', req: call.req, to, video, sdp };
  if (call.pin) dial.pin = call.pin;
  if (!send(dial)) {
    endCall('error', 'Not connected to the server');
  }
}

/** Makes `call` the active call and switches the card to the in-call layout. */
function beginCall({ direction, id = null, peer, peerName, video }) {
  clearEndedStatus();
  const call = {
    id, req: null, direction, peer, peerName, video,
    state: 'starting', leg: null, sent: false, ended: false, micMuted: false, videoStopped: false,
    pin: '', conf: null, early: new Map(), videoTracks: new Map(),
  };
  state.call = call;
  state.view = 'call';
  ui.setKeypadOpen(false);
  ui.setInCall(true, { video });
  ui.setMedia({ visible: true, video, peer, peerName });
  ui.setRemoteVideoActive(false);
  el.remoteAudio.muted = false;
  ui.stopTimer();
  // Keep focus in the Number field (typing goes on there during a call). Only
  // when the pressed call button just disappeared, move focus to Hang up; never
  // during an Enter keydown, or that same key press would click Hang up.
  if (el.callButtons.contains(document.activeElement)) el.hangup.focus();
  return call;
}

/**
 * Captures media and builds the offer for `call`. Returns the SDP, or null
 * when the call ended meanwhile or media failed (then the call is ended).
 */
async function prepareLeg(call) {
  let stream;
  try {
    stream = await getLocalMedia(call.video);
  } catch (err) {
    console.warn('xphone: getUserMedia failed', err);
    if (!call.ended) hangupActive('error', mediaErrorText(err, call.video));
    return null;
  }
  if (call.ended) {
    for (const t of stream.getTracks()) t.stop();
    return null;
  }
  const leg = new CallLeg({
    stream,
    video: call.video,
    onTrack: (track, mid) => onRemoteTrack(call, track, mid),
    onConnectionState: (s) => onLegState(call, s),
  });
  call.leg = leg;
  leg.setMicMuted(call.micMuted);
  leg.setVideoStopped(call.videoStopped);
  if (call.video) {
    el.localVideo.srcObject = stream;
    ui.play(el.localVideo);
  }
  try {
    const sdp = await leg.createOffer();
    return call.ended ? null : sdp;
  } catch (err) {
    console.error('xphone: cannot create the offer', err);
    if (!call.ended) hangupActive('error', 'Cannot start the call');
    return null;
  }
}

function onRemoteTrack(call, track, mid) {
  if (state.call !== call) return;
  if (track.kind === 'audio') {
    const cur = el.remoteAudio.srcObject;
    if (cur && cur.getAudioTracks().includes(track)) return; // renegotiation: same track
    el.remoteAudio.srcObject = new MediaStream([track]);
    el.remoteAudio.muted = ui.isPressed(el.muteSound);
    ui.play(el.remoteAudio);
    return;
  }
  call.videoTracks.set(mid || `#${call.videoTracks.size}`, track);
  if (call.conf) {
    call.conf.addVideoTrack(mid, track);
    return;
  }
  if (call.videoTracks.size > 1) return; // a 1:1 call shows the first video
  el.remoteVideo.srcObject = new MediaStream([track]);
  ui.play(el.remoteVideo);
  // A remote track is "muted" until RTP arrives: show the avatar until then.
  const update = () => { if (state.call === call && !call.conf) ui.setRemoteVideoActive(!track.muted); };
  track.addEventListener('mute', update);
  track.addEventListener('unmute', update);
  update();
}

function onLegState(call, connectionState) {
  if (state.call !== call) return;
  if (connectionState === 'failed') hangupActive('media_failed', '');
}

// ---------------------------------------------------------------- incoming calls

function onIncoming(msg) {
  state.incoming = {
    call: msg.call, from: msg.from || '', fromName: msg.from_name || '', video: !!msg.video,
  };
  ui.showIncoming({
    from: state.incoming.from,
    fromName: state.incoming.fromName,
    video: state.incoming.video,
    canVideo: state.camera,
  });
  tones.ring();
}

/** Closes the incoming dialog (if open) and its ring tone. */
function closeIncoming() {
  if (!state.incoming) return;
  state.incoming = null;
  ui.hideIncoming();
  if (state.call && state.call.state === 'ringing') {
    tones.ringback();
  } else {
    tones.stop();
  }
}

async function acceptIncoming(video) {
  const inc = state.incoming;
  if (!inc) return;
  closeIncoming();
  if (state.call) hangupActive(); // taking a new call ends the current one
  const call = beginCall({
    direction: 'in', id: inc.call, peer: inc.from, peerName: inc.fromName, video: video && state.camera,
  });
  call.state = 'connecting';
  ui.setStatus(`Connecting to ${peerLabel(call)}…`);
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = state.sig ? state.sig.nextReq() : 'r0';
  call.sent = true;
  if (!send({ type: 'accept', req: call.req, call: call.id, video: call.video, sdp })) {
    endCall('error', 'Not connected to the server');
  }
}

function declineIncoming() {
  const inc = state.incoming;
  if (!inc) return;
  send({ type: 'decline', call: inc.call });
  closeIncoming();
}

// ---------------------------------------------------------------- ending calls

/** Tells the server this tab is done with `call` (hangup, or decline before accepting). */
function releaseServerSide(call) {
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

/** The user (or a local failure) ends the active call. */
function hangupActive(reason = 'local', message = '') {
  const call = state.call;
  if (!call) return;
  releaseServerSide(call);
  endCall(reason, message);
}

/** Tears down the active call locally and shows why it ended. */
function endCall(reason, message) {
  const call = state.call;
  if (!call) return;
  const wasConnected = call.state === 'connected';
  call.ended = true;
  call.state = 'ended';
  state.call = null;
  state.view = state.view === 'call' ? 'idle' : state.view;
  if (call.leg) call.leg.close();
  if (call.conf) {
    call.conf.destroy();
    call.conf = null;
  }
  ui.setConferenceLayout(false);
  if (state.incoming) {
    tones.ring();
  } else {
    tones.stop();
  }
  ui.stopTimer();
  ui.setMedia({ visible: false });
  ui.setInCall(false);
  let text;
  if (reason === 'local') {
    text = wasConnected ? 'Call ended' : 'Cancelled';
  } else {
    text = ui.reasonText(reason, message);
  }
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

/** A room refused the dial for its PIN: ask for it, and Join dials again with it. */
function askForPin(call, reason) {
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

/** Removes a lingering end reason from the status line. */
function clearEndedStatus() {
  clearTimeout(state.endTimer);
  state.endTimer = null;
  if (state.lastEnd && !state.call) ui.setStatus('');
  state.lastEnd = null;
}

function onPageHide() {
  if (state.call) releaseServerSide(state.call);
  // Closing the socket ourselves lets the server notice at once.
  stopSignaling();
}

// ---------------------------------------------------------------- in-call toggles

function toggleMic() {
  const call = state.call;
  const muted = !ui.isPressed(el.muteMic);
  ui.setPressed(el.muteMic, muted);
  if (call) {
    call.micMuted = muted;
    if (call.leg) call.leg.setMicMuted(muted);
  }
}

function toggleSound() {
  const muted = !ui.isPressed(el.muteSound);
  ui.setPressed(el.muteSound, muted);
  el.remoteAudio.muted = muted;
}

function toggleVideo() {
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

main().catch((err) => {
  console.error('xphone: startup failed', err);
  showLogin('Something went wrong while starting. Reload the page.');
});
