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
// - In-call features of 1:1 calls (docs/signaling.md "In-call features"):
//   keys typed in the Number field or on the keypad go out as DTMF; Hold;
//   Transfer (blind, or attended via Consult); call waiting. A tab may have
//   two calls: `state.call` is the one shown (the active one), the other is
//   held and listed in the call list with Resume / Switch call.
// - For tests and debugging: window.xphone.pc() is the shown call's
//   RTCPeerConnection, window.xphone.state() is {view, callState, callId, …},
//   window.xphone.calls() lists every call of the tab,
//   window.xphone.conference() the conference state (or null).

import * as api from './api.js';
import { Signaling } from './signaling.js';
import {
  CallLeg, getLocalMedia, hasCamera, mediaErrorText, webrtcSupported,
} from './call.js';
import * as pin from './pin.js';
import * as rooms from './rooms.js';
import * as tones from './tones.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';

const { el } = ui;

/** How long the end reason stays in the status line. */
const ENDED_LINGER_MS = 3000;
/** Clock difference to the server beyond which `since` is not trusted. */
const SKEW_TOLERANCE_MS = 10000;

const NO_CAMERA_TEXT = 'No camera found: video calls need a camera';

/**
 * The whole UI state. `calls` are this tab's calls (at most two); `call` is
 * the one shown and controlled by the in-call buttons:
 * {id, req, direction: 'out'|'in', peer, peerName, video, state, leg, sent,
 *  ended, micMuted, videoStopped, pin, conf, early, videoTracks, audioTrack,
 *  holdLocal, holdRemote, consultFor, since}. `state` is one of starting,
 * dialing, ringing, connecting, connected, transferring, ended. `conf` is
 * the Conference of a room call; `early` keeps conference messages that came
 * before `conference`; `videoTracks` maps received video mids to tracks;
 * `holdLocal`/`holdRemote` mirror `hold-state`; `consultFor` is the held call
 * an attended transfer would hand this (consultation) call to.
 */
const state = {
  view: 'loading', // loading | login | idle | call
  me: null, // {ext, name}
  camera: false,
  call: null,
  calls: [],
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
/** hold/transfer requests waiting for a possible error: req → {kind, call}. */
const pendingOps = new Map();

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
  calls: () => state.calls.map((c) => ({
    id: c.id,
    peer: c.peer,
    state: c.state,
    shown: c === state.call,
    holdLocal: !!c.holdLocal,
    holdRemote: !!c.holdRemote,
    consult: !!c.consultFor,
  })),
  pcOf: (id) => {
    const c = state.calls.find((x) => x.id === id);
    return c && c.leg ? c.leg.pc : null;
  },
});

// ---------------------------------------------------------------- startup

async function main() {
  ui.init();
  ui.buildKeypad(onKeypadDigit);
  pin.init();
  transfer.init();
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
  el.number.addEventListener('beforeinput', onNumberInput);
  el.audioCall.addEventListener('click', () => placeCall(false));
  el.videoCall.addEventListener('click', () => placeCall(true));
  el.hangup.addEventListener('click', () => hangupActive());
  el.muteMic.addEventListener('click', toggleMic);
  el.muteSound.addEventListener('click', toggleSound);
  el.stopVideo.addEventListener('click', toggleVideo);
  el.hold.addEventListener('click', toggleHold);
  el.transfer.addEventListener('click', openTransfer);
  el.switchCall.addEventListener('click', switchCall);
  el.completeTransfer.addEventListener('click', completeTransfer);
  el.cancelConsult.addEventListener('click', cancelConsult);
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
  hangupAll();
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
  endAll('error', 'Logged out');
  closeIncoming();
  transfer.cancel();
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
  if (new URLSearchParams(location.search).get('next') === 'admin') {
    // The admin status page sent us here to log in: go back there.
    location.replace('admin/');
    return;
  }
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
  endAll('error', 'Connection to the server was lost');
  closeIncoming();
  transfer.cancel();
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

/** The call of this tab with server id `id` (null for unknown or given-up calls). */
function callById(id) {
  if (!id || deadCalls.has(id)) return null;
  return state.calls.find((c) => c.id === id && !c.ended) || null;
}

/** This tab's other call (besides `call`), or null. */
function otherCall(call) {
  return state.calls.find((c) => c !== call) || null;
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
    ui.startTimer(call.since);
    return;
  }
  ui.setStatus(connectedText(call));
  ui.setMedia({ visible: true, video: call.video, peer: call.peer, peerName: call.peerName });
  if (msg.video === false) ui.setRemoteVideoActive(false);
  ui.startTimer(call.since);
  call.leg && call.leg.flushDTMF();
}

/** The status line of a connected 1:1 call, including its hold state (F18). */
function connectedText(call) {
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
function renderCalls() {
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
  if (deadCalls.has(msg.call)) return;
  const call = callById(msg.call) ||
    state.calls.find((c) => !c.id && c.sent && c.direction === 'out') || null;
  if (!call || !call.leg || !call.sent) return;
  if (!call.id && msg.call) call.id = msg.call;
  call.leg.setAnswer(msg.sdp).catch((err) => {
    console.error('xphone: cannot apply the answer', err);
    if (!call.ended) hangupCall(call, 'media_failed', 'Media negotiation failed');
  });
}

// ---------------------------------------------------------------- conference rooms

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

/** A hold or transfer request was refused: undo what the UI assumed and say why. */
function onOpRefused(op, msg) {
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

// ---------------------------------------------------------------- hold, DTMF, transfer

/** Sends a request whose error (if any) comes back with its req. */
function sendOp(kind, call, msg, extra = {}) {
  const req = state.sig ? state.sig.nextReq() : 'r0';
  pendingOps.set(req, { kind, call, ...extra });
  // Forget it after a while: errors come back at once or never.
  setTimeout(() => pendingOps.delete(req), 30000);
  return send({ ...msg, req });
}

/** Holds (on) or resumes the 1:1 call (F18). */
function setHold(call, on) {
  if (!call || !call.id || call.conf || call.ended) return;
  call.holdLocal = on; // hold-state confirms
  sendOp('hold', call, { type: 'hold', call: call.id, on }, { on });
  renderCalls();
}

function toggleHold() {
  const call = state.call;
  if (!call || call.state !== 'connected' || call.conf) return;
  setHold(call, !call.holdLocal);
}

function onHoldState(msg) {
  const call = callById(msg.call);
  if (!call) return;
  call.holdLocal = !!msg.local;
  call.holdRemote = !!msg.remote;
  renderCalls();
}

/** The other party pressed a key: show it briefly (F12). */
function onDTMF(msg) {
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

function openTransfer() {
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
function completeTransfer() {
  const consult = state.calls.find((c) => c.consultFor && !c.consultFor.ended);
  if (!consult || consult.state !== 'connected') return;
  const held = consult.consultFor;
  held.transferring = true;
  sendOp('transfer', held, { type: 'transfer', call: held.id, consult: consult.id });
  ui.setStatus(`Transferring ${held.peer} to ${consult.peer}…`);
}

/** Attended transfer given up: hang up the consultation, resume the held call. */
function cancelConsult() {
  const consult = state.calls.find((c) => c.consultFor);
  if (!consult) return;
  const held = consult.consultFor;
  hangupCall(consult);
  if (!held.ended) {
    switchTo(held);
    if (held.holdLocal) setHold(held, false);
  }
}

/** Shows `target` and resumes it; the call shown until now is held (call waiting). */
function switchTo(target) {
  const cur = state.call;
  if (!target || target.ended) return;
  if (cur && cur !== target && cur.state === 'connected' && !cur.conf && !cur.holdLocal) setHold(cur, true);
  if (target.state === 'connected' && target.holdLocal) setHold(target, false);
  if (cur !== target) showCall(target);
  renderCalls();
}

function switchCall() {
  const other = otherCall(state.call);
  if (other) switchTo(other);
}

/** Makes `call` the shown call: media elements, toggles, timer and status follow it. */
function showCall(call) {
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
    ui.startTimer(call.since || Date.now());
  } else {
    ui.stopTimer();
    ui.setStatus(call.state === 'ringing' ? `Ringing ${call.peer}…` : `Dialing ${call.peer}…`);
  }
  renderCalls();
}

// ---------------------------------------------------------------- outgoing calls

/** Trims what the user typed; keeps digits, *, # and a leading +. */
function normalizeNumber(text) {
  return text.replace(/[\s().-]/g, '');
}

/** Keys that are DTMF digits. */
const DTMF_KEY = /^[0-9*#]$/;

function onNumberKey(ev) {
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

/** Digits typed into the Number field during a call are sent as DTMF (F12). */
function onNumberInput(ev) {
  if (ev.inputType !== 'insertText' || !ev.data) return;
  for (const ch of ev.data) {
    if (DTMF_KEY.test(ch)) sendDTMF(ch);
  }
}

function onKeypadDigit(digit) {
  el.number.value += digit;
  sendDTMF(digit); // only during a connected call
}

/**
 * Places a call to the Number field (or opts.to), with opts.pin for PIN
 * rooms. opts.consultFor (a held call) makes it the consultation call of an
 * attended transfer, placed while that call is held.
 */
async function placeCall(video, opts = {}) {
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

/** Makes `call` the shown call and switches the card to the in-call layout. */
function beginCall({ direction, id = null, peer, peerName, video }) {
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
    if (!call.ended) hangupCall(call, 'error', mediaErrorText(err, call.video));
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
  if (call.video && state.call === call) {
    el.localVideo.srcObject = stream;
    ui.play(el.localVideo);
  }
  try {
    const sdp = await leg.createOffer();
    return call.ended ? null : sdp;
  } catch (err) {
    console.error('xphone: cannot create the offer', err);
    if (!call.ended) hangupCall(call, 'error', 'Cannot start the call');
    return null;
  }
}

function onRemoteTrack(call, track, mid) {
  if (call.ended) return;
  if (track.kind === 'audio') {
    call.audioTrack = track;
    if (state.call === call) attachRemoteAudio(call);
    return;
  }
  call.videoTracks.set(mid || `#${call.videoTracks.size}`, track);
  if (call.conf) {
    call.conf.addVideoTrack(mid, track);
    return;
  }
  if (call.videoTracks.size > 1) return; // a 1:1 call shows the first video
  if (state.call === call) attachRemoteVideo(call);
}

/** Plays the shown call's received audio in the remote audio element. */
function attachRemoteAudio(call) {
  const track = call.audioTrack;
  if (!track) {
    el.remoteAudio.srcObject = null;
    return;
  }
  const cur = el.remoteAudio.srcObject;
  if (cur && cur.getAudioTracks().includes(track)) return; // renegotiation: same track
  el.remoteAudio.srcObject = new MediaStream([track]);
  el.remoteAudio.muted = ui.isPressed(el.muteSound);
  ui.play(el.remoteAudio);
}

/** Shows the first received video of the shown 1:1 call. */
function attachRemoteVideo(call) {
  if (call.conf) return;
  const [track] = call.videoTracks.values();
  if (!track) {
    el.remoteVideo.srcObject = null;
    ui.setRemoteVideoActive(false);
    return;
  }
  const cur = el.remoteVideo.srcObject;
  if (!cur || !cur.getVideoTracks().includes(track)) {
    el.remoteVideo.srcObject = new MediaStream([track]);
    ui.play(el.remoteVideo);
  }
  // A remote track is "muted" until RTP arrives: show the avatar until then.
  const update = () => { if (state.call === call && !call.conf) ui.setRemoteVideoActive(!track.muted); };
  if (!call.videoWatched) {
    call.videoWatched = true;
    track.addEventListener('mute', update);
    track.addEventListener('unmute', update);
  }
  update();
}

function onLegState(call, connectionState) {
  if (call.ended) return;
  if (connectionState === 'failed') hangupCall(call, 'media_failed', '');
  if (connectionState === 'connected') call.leg.flushDTMF();
}

// ---------------------------------------------------------------- incoming calls

function onIncoming(msg) {
  state.incoming = {
    call: msg.call, from: msg.from || '', fromName: msg.from_name || '', video: !!msg.video,
  };
  transfer.cancel(); // the incoming dialog takes over
  ui.showIncoming({
    from: state.incoming.from,
    fromName: state.incoming.fromName,
    video: state.incoming.video,
    canVideo: state.camera,
  });
  playIncomingTone();
}

/** Rings, or during a call plays the quieter call-waiting tone. */
function playIncomingTone() {
  if (state.calls.length) {
    tones.callWaiting();
  } else {
    tones.ring();
  }
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

/**
 * Makes room for an accepted call: a connected 1:1 call is held (call
 * waiting); a call still being set up, or a conference, ends. With two calls
 * already, the shown one ends.
 */
function makeRoomForCall() {
  if (state.calls.length >= 2) hangupCall(state.call);
  for (const c of [...state.calls]) {
    if (c.state === 'connected' && !c.conf && c.id) {
      if (!c.holdLocal) setHold(c, true);
    } else {
      hangupCall(c);
    }
  }
}

async function acceptIncoming(video) {
  const inc = state.incoming;
  if (!inc) return;
  closeIncoming();
  makeRoomForCall();
  const call = beginCall({
    direction: 'in', id: inc.call, peer: inc.from, peerName: inc.fromName, video: video && state.camera,
  });
  call.state = 'connecting';
  ui.setStatus(`Connecting to ${peerLabel(call)}…`);
  renderCalls();
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = state.sig ? state.sig.nextReq() : 'r0';
  call.sent = true;
  if (!send({ type: 'accept', req: call.req, call: call.id, video: call.video, sdp })) {
    endCall(call, 'error', 'Not connected to the server');
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

/** The user (or a local failure) ends the shown call. */
function hangupActive(reason = 'local', message = '') {
  if (state.call) hangupCall(state.call, reason, message);
}

/** The user (or a local failure) ends `call`. */
function hangupCall(call, reason = 'local', message = '') {
  if (!call || call.ended) return;
  releaseServerSide(call);
  endCall(call, reason, message);
}

/** Hangs up every call of the tab. */
function hangupAll() {
  for (const c of [...state.calls]) hangupCall(c);
}

/** Ends every call locally (the server ends them too, e.g. the socket closed). */
function endAll(reason, message) {
  for (const c of [...state.calls]) endCall(c, reason, message);
}

/**
 * Tears down `call` locally and shows why it ended. When the tab's other
 * call remains, it is shown (still held: the user resumes it).
 */
function endCall(call, reason, message) {
  if (!call || call.ended) return;
  const wasConnected = call.state === 'connected';
  call.ended = true;
  call.state = 'ended';
  state.calls = state.calls.filter((c) => c !== call);
  if (call.leg) call.leg.close();
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
  for (const c of state.calls) releaseServerSide(c);
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
