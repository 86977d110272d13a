// The session of the tab (SPEC F6, F7): the login form, logout, the main
// screen, and the signalling socket with its reconnects. A reconnect first
// checks that the session still exists, so an expired one leads to the login
// form instead of endless retries.

import * as api from './api.js';
import { Signaling } from './signaling.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';
import { state } from './state.js';
import { onMessage } from './calls.js';
import { closeIncoming } from './incoming.js';
import { onDropped, onHello } from './resume.js';
import {
  clearEndedStatus, endAll, hangupAll, releaseServerSide,
} from './ending.js';

const { el } = ui;

// ---------------------------------------------------------------- login / logout

export async function onLoginSubmit(ev) {
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

export async function doLogout() {
  hangupAll();
  try {
    await api.logout();
  } catch (err) {
    console.warn('xphone: logout failed', err);
  }
  showLogin('');
}

/** Shows the login form; `error` goes to the role=alert element. */
export function showLogin(error) {
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
export function enterMain(session) {
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

/** Opens the signalling socket (reconnecting while the session lasts). */
function startSignaling() {
  stopSignaling();
  const sig = new Signaling({ shouldReconnect: sessionStillValid });
  sig.addEventListener('open', () => ui.setConnectionLost(false));
  sig.addEventListener('message', (ev) => {
    if (ev.detail.type === 'hello') onHello(ev.detail);
    onMessage(ev.detail);
  });
  sig.addEventListener('close', (ev) => onSocketClosed(ev.detail));
  state.sig = sig;
  sig.start();
}

function stopSignaling() {
  state.ready = false;
  state.reconnecting = false;
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

// Close codes with which the server ends a tab on purpose (docs/signaling.md):
// reconnecting would only be refused again, so the page says why and stops.
const REFUSED = new Set([4409 /* too many tabs */, 4429 /* too many messages */]);

function onSocketClosed({ code, reason, willReconnect }) {
  state.ready = false;
  if (state.view === 'login') return;
  if (REFUSED.has(code)) {
    const why = reason || 'The server closed this tab';
    stopSignaling();
    endAll('error', why);
    closeIncoming();
    transfer.cancel();
    ui.setConnectionLost(true, 'Disconnected');
    ui.setStatus(why, 'failed');
    return;
  }
  ui.setConnectionLost(willReconnect);
  // A ringing call's popup comes back with the resumed socket.
  closeIncoming();
  if (willReconnect) {
    // The calls' media goes on without the socket; the reconnect resumes them.
    onDropped(code);
    return;
  }
  endAll('connection_lost', 'Connection to the server was lost');
  transfer.cancel();
}

/** Closing the tab (SPEC F11): release the calls, then close the socket. */
export function onPageHide() {
  for (const c of state.calls) releaseServerSide(c);
  // Closing the socket ourselves lets the server notice at once.
  stopSignaling();
}
