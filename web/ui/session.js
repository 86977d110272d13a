// The session of the tab (SPEC F6, F7): the login form, logout, the main
// screen, and the signalling socket with its reconnects. A reconnect first
// checks that the session still exists, so an expired one leads to the login
// form instead of endless retries.

import * as api from './api.js';
import { Signaling } from './signaling.js';
import { act, state } from './store.js';
import { endAll, hangupAll, releaseServerSide } from './model.js';
import { closeIncoming } from './incoming.js';
import { onMessage } from './messages.js';
import { onDropped } from './resume.js';

/** Log in: the form's extension and password. */
export async function login(ext, password) {
  if (!ext || !password) {
    state.login.error = { key: 'login.enter_both' };
    state.focus = ext ? 'password' : 'extension';
    return;
  }
  state.login.error = null;
  state.login.busy = true;
  try {
    const session = await api.login(ext, password);
    state.login.busy = false;
    enterMain(session);
  } catch (err) {
    state.login.busy = false;
    state.login.error = apiErrorText(err);
    state.focus = 'password-select';
  }
}

/** The text object of an API failure: its code's text, else the server's words. */
export function apiErrorText(err) {
  if (err && err.code === 'locked_out') return { key: 'login.error.locked_out', n: Math.ceil((err.retryAfter || 60) / 60) };
  if (err && err.code === 'too_many_at_once') return { key: 'login.error.too_many_at_once', n: err.retryAfter || 1 };
  if (err && err.status === 0) return { key: 'login.error.unreachable' };
  if (err && ['bad_credentials', 'no_access', 'disabled', 'store_down', 'bad_request'].includes(err.code)) {
    return { key: `login.error.${err.code}` };
  }
  return { key: 'login.error.http', params: { status: (err && err.status) || 0 } };
}

export async function logout() {
  hangupAll();
  try {
    await api.logout();
  } catch (err) {
    console.warn('xphone: logout failed', err);
  }
  showLogin(null);
}

/** Shows the login form; error (a text object) goes to its alert line. */
export function showLogin(error) {
  stopSignaling();
  endAll('error', { key: 'login.logged_out' });
  closeIncoming();
  state.transfer = null;
  state.pin = null;
  state.lastEnd = null;
  state.view = 'login';
  state.me = null;
  state.conn.lost = false;
  state.conn.refused = false;
  state.login.error = error;
  state.focus = 'login';
}

/** Shows the main screen for the session {ext, name} and connects the socket. */
export function enterMain(session) {
  state.me = session;
  state.view = 'main';
  state.conn.refused = false;
  state.lastEnd = null;
  if (new URLSearchParams(location.search).get('next') === 'admin') {
    // The admin status page sent us here to log in: go back there.
    location.replace('admin/');
    return;
  }
  startSignaling();
  state.focus = 'number';
}

/** Opens the signalling socket (reconnecting while the session lasts). */
function startSignaling() {
  stopSignaling();
  const sig = new Signaling({ shouldReconnect: act(sessionStillValid) });
  sig.addEventListener('open', act(() => { state.conn.lost = false; }));
  sig.addEventListener('message', act((ev) => onMessage(ev.detail)));
  sig.addEventListener('close', act((ev) => onSocketClosed(ev.detail)));
  state.sig = sig;
  sig.start();
}

function stopSignaling() {
  state.conn.ready = false;
  state.conn.reconnecting = false;
  if (state.sig) {
    state.sig.stop();
    state.sig = null;
  }
}

/** Asked before each reconnect: a 401 means the session is gone, so log in again. */
async function sessionStillValid() {
  const session = await api.getSession(); // throws when unreachable: keep retrying
  if (!session) {
    showLogin({ key: 'login.session_ended' });
    return false;
  }
  return true;
}

// Close codes with which the server ends a tab on purpose (docs/signaling.md):
// reconnecting would only be refused again, so the page says why and stops.
const REFUSED = new Map([[4409, 'conn.too_many_tabs'], [4429, 'conn.too_many_messages']]);

function onSocketClosed({ code, reason, willReconnect }) {
  state.conn.ready = false;
  if (state.view === 'login') return;
  if (REFUSED.has(code)) {
    refusedByServer(code, reason);
    return;
  }
  state.conn.lost = willReconnect;
  // A ringing call's popup comes back with the resumed socket.
  closeIncoming();
  if (willReconnect) {
    // The calls' media goes on without the socket; the reconnect resumes them.
    onDropped(code);
    return;
  }
  endAll('connection_lost', { key: 'conn.lost' });
  state.transfer = null;
}

/**
 * The server closed this tab for good (too many tabs, too many messages):
 * the page says why (the limit is in the server's English reason) and
 * stops reconnecting.
 */
function refusedByServer(code, reason) {
  const limit = /limit (\d+)/.exec(reason || '');
  const what = { key: REFUSED.get(code), params: { limit: limit ? limit[1] : '?' } };
  stopSignaling();
  endAll('error', what);
  closeIncoming();
  state.transfer = null;
  state.conn.lost = true;
  state.conn.refused = true;
  state.lastEnd = {
    reason: 'refused', ...what, failed: true, peer: '', duration: 0, at: Date.now(),
  };
}

/** Closing the tab (SPEC F11): release the calls, then close the socket. */
export function onPageHide() {
  for (const c of state.calls) releaseServerSide(c);
  // Closing the socket ourselves lets the server notice at once.
  stopSignaling();
}
