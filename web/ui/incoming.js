// Incoming calls (F13, F14): the popup with Accept Audio / Accept Video /
// Decline; its ring tone follows from the state (views/tones.js).

import { state } from './store.js';
import {
  endCall, hangupCall, newCall, nextReq, send, setHold,
} from './model.js';
import { prepareLeg } from './media.js';

/** `incoming`: opens the popup (it replaces any transfer dialog). */
export function onIncoming(msg) {
  state.incoming = {
    call: msg.call, from: msg.from || '', fromName: msg.from_name || '', video: !!msg.video,
    by: msg.by || '', byName: msg.by_name || '',
  };
  state.transfer = null;
}

/** Closes the incoming dialog (if open). */
export function closeIncoming() {
  state.incoming = null;
}

/**
 * Makes room for an accepted call: a connected 1:1 call is held (call
 * waiting); a call still being set up, or a conference, ends. With two calls
 * already, the shown one ends.
 */
function makeRoomForCall() {
  if (state.calls.length >= 2) hangupCall(state.shown);
  for (const c of [...state.calls]) {
    if (c.state === 'connected' && !c.conf && c.id) {
      if (!c.holdLocal) setHold(c, true);
    } else {
      hangupCall(c);
    }
  }
}

/** Accept Audio / Accept Video: makes room, then answers with our media. */
export async function acceptIncoming(video) {
  const inc = state.incoming;
  if (!inc) return;
  closeIncoming();
  makeRoomForCall();
  const call = newCall({
    direction: 'in', id: inc.call, peer: inc.from, peerName: inc.fromName, video: video && state.camera,
  });
  call.state = 'connecting';
  if (inc.by) call.transferredBy = { number: inc.by, name: inc.byName };
  const sdp = await prepareLeg(call);
  if (!sdp) return;
  call.req = nextReq();
  call.sent = true;
  if (!send({ type: 'accept', req: call.req, call: call.id, video: call.video, sdp })) {
    endCall(call, 'error', { key: 'conn.not_connected' });
  }
}

/** Decline (or Escape in the dialog): refuses the incoming call; the tab's other calls go on. */
export function declineIncoming() {
  const inc = state.incoming;
  if (!inc) return;
  send({ type: 'decline', call: inc.call });
  closeIncoming();
}
