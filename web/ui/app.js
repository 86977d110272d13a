// Xphone browser softphone: the entry module. The state machine that ties the
// HTTP API, the signalling socket, the call legs and the DOM together is split
// over the modules listed below.
//
// Behaviour worth knowing:
// - Enter in the Number field starts an AUDIO call (never turns the camera on
//   by surprise); Shift+Enter starts a video call when a camera exists.
// - When a call ends, the in-call controls disappear at once and the call
//   buttons come back (so the user can call again immediately); the reason
//   stays in the status line for ENDED_LINGER_MS (ending.js), then clears.
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
//
// Module map (each file holds one concern; state.js holds what they share):
//   session.js      login, logout, the signalling socket and its reconnects
//   resume.js       calls across a dropped socket: resume, ICE restart
//   calls.js        server messages, routed to this tab's calls by call id
//   callview.js     what the card shows for the calls (status, list, buttons)
//   media.js        local capture, the call leg, received audio and video
//   outgoing.js     dialing from the Number field, and the PIN redial
//   incoming.js     the incoming-call popup: ring, accept, decline
//   waiting.js      two calls in a tab: making room, switching between them
//   incall.js       DTMF, Hold and the mute toggles of the shown call
//   calltransfer.js blind and attended transfer (the dialog is transfer.js)
//   ending.js       hanging up and ending calls, the lingering end reason
// This file only starts the UI, wires the DOM events and exposes the test hooks.

import * as api from './api.js';
import { hasCamera, webrtcSupported } from './call.js';
import * as pin from './pin.js';
import * as tones from './tones.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';
import { state } from './state.js';
import {
  doLogout, enterMain, onLoginSubmit, onPageHide, showLogin,
} from './session.js';
import { onNumberKey, placeCall } from './outgoing.js';
import { acceptIncoming, declineIncoming } from './incoming.js';
import { switchCall } from './waiting.js';
import {
  onKeypadDigit, onNumberInput, toggleHold, toggleMic, toggleSound, toggleVideo,
} from './incall.js';
import { cancelConsult, completeTransfer, openTransfer } from './calltransfer.js';
import { hangupActive } from './ending.js';
import { initMeeting } from './meeting.js';
import { renderCalls } from './callview.js';

const { el } = ui;

const NO_CAMERA_TEXT = 'No camera found: video calls need a camera';

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
    reconnecting: state.reconnecting,
    sockets: state.sig ? state.sig.opened : 0,
  }),
  // Closes the signalling socket as a network blip would (tests).
  dropSocket: (code = 4000) => { if (state.sig && state.sig.ws) state.sig.ws.close(code, 'dropped'); },
  conference: () => (state.call && state.call.conf ? state.call.conf.snapshot() : null),
  // The shown room call's meeting state, for tests and debugging.
  meeting: () => (state.call && state.call.meeting ? {
    ...state.call.meeting.state, panel: state.call.meeting.panel, unread: state.call.meeting.chat.unread,
    sharing: !!state.call.screen,
  } : null),
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
  initMeeting();
  wireEvents();
  if (webrtcSupported()) {
    // Not awaited: Firefox answers enumerateDevices only once the tab has
    // focus, and a tab opened in the background must still log in and ring.
    // Until the answer, an incoming call offers no Accept Video.
    refreshCamera();
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
  // A call that rang before the answer came (a background tab) gets its
  // Accept Video now.
  if (state.incoming) ui.showIncoming({ ...state.incoming, canVideo: state.camera });
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

  // Browsers allow sound only after a gesture: unlock the ring tone early,
  // and play what the autoplay policy held back.
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, tones.unlock, { capture: true, passive: true });
    document.addEventListener(type, ui.retryBlockedMedia, { capture: true, passive: true });
  }
  ui.onPlaybackBlocked((blocked) => {
    state.soundBlocked = blocked;
    renderCalls();
  });
  // F11: closing the tab ends the call at once.
  window.addEventListener('pagehide', onPageHide);
  // A page restored from the back/forward cache has a dead socket: start over.
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) location.reload(); });
}

main().catch((err) => {
  console.error('xphone: startup failed', err);
  showLogin('Something went wrong while starting. Reload the page.');
});
