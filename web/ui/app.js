// Xphone browser softphone: the entry module.
//
// Structure: one state store (store.js) and a single render path. Actions
// change the state — session.js (login, socket), messages.js (what the
// server says), outgoing.js, incoming.js, incall.js, transfer.js, rooms.js,
// resume.js, media.js, all on model.js (the calls and their life) — and
// views (views/*.js) draw it: nothing else touches the page. This file
// loads the texts (i18n.js), wires the DOM events to actions through
// act(), registers the views, and exposes the test hooks.
//
// Behaviour worth knowing:
// - Enter in the Number field starts an AUDIO call (never turns the camera on
//   by surprise); Shift+Enter starts a video call when a camera exists.
// - When a call ends, the in-call controls disappear at once and the call
//   buttons come back (so the user can call again immediately); the reason
//   stays in the status line (model.js lastEnd).
// - Closing the tab sends `hangup` (or `decline` for a call being accepted)
//   before the socket goes away (SPEC F11).
// - During a connected 1:1 call, keys typed in the Number field or on the
//   keypad go out as DTMF and never change the field.
// - For tests and debugging: window.xphone.pc() is the shown call's
//   RTCPeerConnection, window.xphone.state() is {view, callState, callId, …},
//   window.xphone.calls() lists every call of the tab,
//   window.xphone.conference() the conference state (or null).

import * as api from './api.js';
import { hasCamera, webrtcSupported } from './call.js';
import {
  choose, initialLang, loadCatalogues, currentLang,
} from './i18n.js';
import * as tones from './tones.js';
import {
  act, commit, onRender, renderNow, state,
} from './store.js';
import { clearEnded, hangupCall } from './model.js';
import {
  enterMain, login, logout, onPageHide, showLogin,
} from './session.js';
import { placeCall, joinWithPin, cancelPin } from './outgoing.js';
import { acceptIncoming, declineIncoming } from './incoming.js';
import {
  DTMF_KEY, dtmfMode, onKeypadDigit, resumeCall, sendDTMF, switchCall, toggleHold, toggleKeypad, toggleMic,
  toggleSound, toggleVideo,
} from './incall.js';
import {
  cancelConsult, cancelTransfer, completeTransfer, consult, openTransfer, transferNow,
} from './transfer.js';
import { snapshot } from './rooms.js';
import {
  callNumber, newestUnseenMissed, onVisible, openPanel, search, toggleDND,
} from './desk.js';
import {
  chooseCamera, chooseMic, chooseSpeaker, closeSettings, loadPrefs, openSettings, refreshDevices,
} from './devices.js';
import { el } from './views/dom.js';
import { renderShell } from './views/shell.js';
import { phoneView } from './views/phone.js';
import { renderDialogs } from './views/dialogs.js';
import { conferenceView } from './views/conference.js';
import { meetingEls, meetingView } from './views/meeting.js';
import {
  meetingSnapshot, moderate, pinTile, sendChat, showPanel, toggleHand, toggleLayout, toggleLock, toggleRecord,
  toggleShare,
} from './meeting.js';
import { renderEffects } from './views/effects.js';
import { sideView } from './views/side.js';
import { renderSettings } from './views/settings.js';

window.xphone = Object.freeze({
  pc: () => (state.shown && state.shown.leg ? state.shown.leg.pc : null),
  state: () => ({
    view: state.view === 'main' ? (state.shown ? 'call' : 'idle') : state.view,
    callState: state.shown ? state.shown.state : (state.lastEnd ? 'ended' : 'idle'),
    callId: state.shown ? state.shown.id : null,
    video: state.shown ? state.shown.video : null,
    incoming: state.incoming ? state.incoming.call : null,
    reason: state.lastEnd ? state.lastEnd.reason : null,
    connected: !!(state.sig && state.sig.connected),
    ready: state.conn.ready,
    reconnecting: state.conn.reconnecting,
    sockets: state.sig ? state.sig.opened : 0,
  }),
  // Closes the signalling socket as a network blip would (tests).
  dropSocket: (code = 4000) => { if (state.sig && state.sig.ws) state.sig.ws.close(code, 'dropped'); },
  conference: () => (state.shown && state.shown.conf ? snapshot(state.shown) : null),
  // The shown room call's meeting state, for tests and debugging.
  meeting: () => meetingSnapshot(state.shown),
  calls: () => state.calls.map((c) => ({
    id: c.id,
    peer: c.peer,
    state: c.state,
    shown: c === state.shown,
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
  await loadCatalogues(initialLang());
  state.lang = currentLang();
  loadPrefs();
  buildKeypad();
  registerViews();
  wireEvents();
  state.webrtc = webrtcSupported();
  if (state.webrtc) {
    // Not awaited: Firefox answers enumerateDevices only once the tab has
    // focus, and a tab opened in the background must still log in and ring.
    // Video call stays off until the answer says there is a camera.
    refreshCamera();
    navigator.mediaDevices.addEventListener('devicechange', act(refreshCamera));
  }
  let session;
  try {
    session = await api.getSession();
  } catch (err) {
    showLogin({ key: err && err.code === 'store_down' ? 'login.error.store_down' : 'login.error.unreachable' });
    return;
  }
  if (session) enterMain(session);
  else showLogin(null);
}

/** Detects a camera (Video call is offered only with one, SPEC F9) and the devices. */
async function refreshCamera() {
  state.camera = await hasCamera();
  await refreshDevices();
  commit();
}

/** Language (login form or Settings): the page switches at once, and remembers it. */
function chooseLanguage(lang) {
  choose(lang);
  state.lang = currentLang();
}

function registerViews() {
  onRender(renderShell);
  onRender(phoneView({
    onResume: act(resumeCall),
    onBlocked: act((media) => { blocked.add(media); state.soundBlocked = true; }),
    missed: newestUnseenMissed,
  }));
  onRender(sideView({ onCall: act(callNumber) }));
  onRender(conferenceView({ onPin: act(pinTile) }));
  onRender(meetingView({ onModerate: act(moderate) }));
  onRender(renderDialogs);
  onRender(renderSettings);
  onRender(renderEffects);
  // The timer and notices change with time: render while they show.
  setInterval(() => { if (state.calls.length || state.notice) commit(); }, 250);
}

/** Media elements whose play() the browser refused until a user gesture. */
const blocked = new Set();

/** Plays what the autoplay policy blocked; runs on the user's next click or key. */
function retryBlocked() {
  if (!blocked.size) return;
  const waiting = [...blocked];
  blocked.clear();
  Promise.all(waiting.map((m) => (m.srcObject ? m.play().catch(() => blocked.add(m)) : null)))
    .then(act(() => { state.soundBlocked = blocked.size > 0; }));
}

/** Builds the keypad buttons 1–9, *, 0, #. */
function buildKeypad() {
  for (const d of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.textContent = d;
    b.addEventListener('click', act(() => onKeypadDigit(d)));
    el.keypad.append(b);
  }
  // Accept Video is in the DOM only for video calls when a camera exists.
  el.acceptVideo.remove();
}

/** Enter dials (Shift+Enter: video); during a call keys go out as DTMF. */
function onNumberKey(ev) {
  if (dtmfMode()) {
    // Holding a key down must not send it again and again (F12).
    if (ev.repeat && DTMF_KEY.test(ev.key)) ev.preventDefault();
    if (ev.key === 'Enter') ev.preventDefault();
    return;
  }
  if (ev.key !== 'Enter' || ev.isComposing) return;
  ev.preventDefault();
  if (state.shown) return;
  placeCall(ev.shiftKey && state.camera);
}

/** During a connected call, typed digits are DTMF and never enter the field. */
function onNumberInput(ev) {
  if (!dtmfMode()) return;
  if (ev.inputType === 'insertText' && ev.data) {
    for (const ch of ev.data) if (DTMF_KEY.test(ch)) sendDTMF(ch);
  }
  ev.preventDefault();
}

function onDialogKey(onEscape) {
  return act((ev) => {
    if (ev.key !== 'Escape') return;
    ev.preventDefault();
    onEscape();
  });
}

function wireEvents() {
  el.loginForm.addEventListener('submit', act((ev) => {
    ev.preventDefault();
    return login(el.loginExt.value.trim(), el.loginPassword.value);
  }));
  el.logout.addEventListener('click', act(logout));
  el.keypadToggle.addEventListener('click', act(toggleKeypad));
  el.number.addEventListener('keydown', act(onNumberKey));
  el.number.addEventListener('beforeinput', act(onNumberInput));
  el.number.addEventListener('input', act(() => {
    state.number = el.number.value;
    if (!state.shown) clearEnded(); // typing a new number is acting on the last end
  }));
  el.audioCall.addEventListener('click', act(() => placeCall(false)));
  el.videoCall.addEventListener('click', act(() => placeCall(true)));
  el.hangup.addEventListener('click', act(() => hangupCall(state.shown)));
  el.muteMic.addEventListener('click', act(toggleMic));
  el.muteSound.addEventListener('click', act(toggleSound));
  el.stopVideo.addEventListener('click', act(toggleVideo));
  el.hold.addEventListener('click', act(toggleHold));
  el.transfer.addEventListener('click', act(openTransfer));
  el.switchCall.addEventListener('click', act(switchCall));
  el.completeTransfer.addEventListener('click', act(completeTransfer));
  el.cancelConsult.addEventListener('click', act(cancelConsult));
  el.acceptAudio.addEventListener('click', act(() => acceptIncoming(false)));
  el.acceptVideo.addEventListener('click', act(() => acceptIncoming(true)));
  el.decline.addEventListener('click', act(declineIncoming));
  el.incomingBackdrop.addEventListener('keydown', onDialogKey(declineIncoming));
  el.transferForm.addEventListener('submit', act((ev) => {
    ev.preventDefault();
    transferNow(el.transferInput.value); // Enter in the field = Transfer now
  }));
  el.transferConsult.addEventListener('click', act(() => consult(el.transferInput.value)));
  el.transferCancel.addEventListener('click', act(cancelTransfer));
  el.transferBackdrop.addEventListener('keydown', onDialogKey(cancelTransfer));
  el.transferInput.addEventListener('input', act(() => { if (state.transfer) state.transfer.error = null; }));
  el.pinForm.addEventListener('submit', act((ev) => {
    ev.preventDefault();
    joinWithPin(el.pinInput.value);
  }));
  el.pinCancel.addEventListener('click', act(cancelPin));
  el.pinBackdrop.addEventListener('keydown', onDialogKey(cancelPin));
  wireMeeting();
  el.dismissStatus.addEventListener('click', act(() => { clearEnded(); state.focus = 'number'; }));
  el.missedCallBack.addEventListener('click', act(() => callNumber(el.missedCallBack.dataset.number)));
  el.dnd.addEventListener('click', act(toggleDND));
  el.tabRecent.addEventListener('click', act(() => openPanel('recent')));
  el.tabDirectory.addEventListener('click', act(() => openPanel('directory')));
  el.directorySearch.addEventListener('input', act(() => search(el.directorySearch.value)));
  document.addEventListener('visibilitychange', act(onVisible));
  el.settingsOpen.addEventListener('click', act(openSettings));
  el.settingsForm.addEventListener('submit', act((ev) => {
    ev.preventDefault();
    closeSettings();
  }));
  el.settingsBackdrop.addEventListener('keydown', onDialogKey(closeSettings));
  el.settingsMic.addEventListener('change', act(() => chooseMic(el.settingsMic.value)));
  el.settingsCamera.addEventListener('change', act(() => chooseCamera(el.settingsCamera.value)));
  el.settingsSpeaker.addEventListener('change', act(() => chooseSpeaker(el.settingsSpeaker.value)));
  for (const select of [el.loginLang, el.settingsLang]) {
    select.addEventListener('change', act(() => chooseLanguage(select.value)));
  }

  // Browsers allow sound only after a gesture: unlock the ring tone early,
  // and play what the autoplay policy held back.
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, tones.unlock, { capture: true, passive: true });
    document.addEventListener(type, retryBlocked, { capture: true, passive: true });
  }
  // F11: closing the tab ends the call at once.
  window.addEventListener('pagehide', onPageHide);
  // A page restored from the back/forward cache has a dead socket: start over.
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) location.reload(); });
}

/** The meeting's buttons and panels (views/meeting.js draws them). */
function wireMeeting() {
  const m = meetingEls;
  m.share.addEventListener('click', act(toggleShare));
  m.hand.addEventListener('click', act(toggleHand));
  m.record.addEventListener('click', act(toggleRecord));
  m.layout.addEventListener('click', act(toggleLayout));
  m.chat.addEventListener('click', act(() => showPanel('chat')));
  m.usersButton.addEventListener('click', act(() => showPanel('users')));
  document.getElementById('chat-close').addEventListener('click', act(() => showPanel('')));
  document.getElementById('users-close').addEventListener('click', act(() => showPanel('')));
  m.lock.addEventListener('click', act(toggleLock));
  document.getElementById('chat-form').addEventListener('submit', act((ev) => {
    ev.preventDefault();
    sendChat(m.chatInput.value);
  }));
}

main().then(commit, (err) => {
  console.error('xphone: startup failed', err);
  showLogin({ key: 'app.start_failed' });
  renderNow();
});
