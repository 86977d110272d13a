// Calls across a dropped signalling socket (docs/signaling.md,
// "Reconnecting"). The media of a call does not go through the socket, so a
// drop ends nothing: the call shows "Reconnecting…" (its timer keeps
// running) until the socket is back. The server's `hello` then says whether
// it resumed this tab and which of its calls live on; the others ended
// meanwhile. A call whose media path broke too (new network) gets an ICE
// restart over the new socket.

import { commit, state } from './store.js';
import { deadCalls, endCall, send } from './model.js';

/** How long a call's media may stay failed before the tab gives up on it. */
const ICE_GIVE_UP_MS = 20000;
/** At most one ICE restart request per call this often. */
const ICE_RESTART_EVERY_MS = 4000;

/** The socket dropped: calls wait, and show it. */
export function onDropped(code) {
  // The first close of an outage says why (1001: the server went away);
  // the failed retries that follow only say the server is not back yet.
  if (!state.conn.reconnecting) state.conn.lastCloseCode = code;
  state.conn.reconnecting = true;
}

/**
 * `hello` on a new socket. After a drop: keep the calls the server still
 * has, end the others, and restart ICE where the media path broke.
 */
export function onHello(msg) {
  if (state.sig) state.sig.tabId = msg.tab || '';
  if (!state.conn.reconnecting) return;
  state.conn.reconnecting = false;
  if (msg.resumed) {
    keepLiveCalls(msg.calls || []);
  } else {
    // A new tab: the server restarted, or our calls ended while we were away.
    const restarted = state.conn.lastCloseCode === 1001;
    for (const c of [...state.calls]) endCall(c, restarted ? 'server_restart' : 'connection_lost');
  }
  for (const c of state.calls) checkMedia(c);
}

function keepLiveCalls(live) {
  const ids = new Set(live.map((c) => c.call));
  for (const c of live) {
    const waiting = !c.call ? null : state.calls.find((x) => !x.id && x.sent && x.req && x.req === c.req);
    if (waiting) waiting.id = c.call; // the reply to our dial was lost with the old socket
    if (deadCalls.has(c.call)) send({ type: 'hangup', call: c.call }); // hung up while away
  }
  for (const c of [...state.calls]) {
    if ((c.id && !ids.has(c.id)) || (!c.id && c.sent)) endCall(c, 'connection_lost');
  }
}

/**
 * A call leg's ICE state changed. A broken media path is repaired by an ICE
 * restart the server offers (it needs the socket); a call whose media stays
 * broken is given up after ICE_GIVE_UP_MS (the server ends it sooner).
 */
export function onIceState(call) {
  if (call.ended || !call.leg) return;
  const s = call.leg.pc.iceConnectionState;
  if (s === 'connected' || s === 'completed') {
    clearTimeout(call.iceGiveUp);
    call.iceGiveUp = null;
    return;
  }
  if (s !== 'disconnected' && s !== 'failed') return;
  if (!call.iceGiveUp) {
    call.iceGiveUp = setTimeout(() => {
      const now = call.leg && call.leg.pc.iceConnectionState;
      if (!call.ended && (now === 'failed' || now === 'disconnected')) {
        endCall(call, 'media_failed', { key: 'reason.connection_lost' });
        commit();
      }
    }, ICE_GIVE_UP_MS);
  }
  checkMedia(call);
}

/** Asks the server for an ICE restart when the call's media path is broken. */
export function checkMedia(call) {
  if (call.ended || !call.leg || !call.id || state.conn.reconnecting) return;
  const s = call.leg.pc.iceConnectionState;
  if (s !== 'disconnected' && s !== 'failed') return;
  const now = Date.now();
  if (call.iceRestartAt && now - call.iceRestartAt < ICE_RESTART_EVERY_MS) return;
  if (send({ type: 'ice-restart', call: call.id })) call.iceRestartAt = now;
}
