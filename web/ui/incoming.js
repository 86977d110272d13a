// Incoming calls (F13, F14): the popup with Accept Audio / Accept Video /
// Decline, and its ring tone (the quieter call-waiting tone during a call).

import * as tones from './tones.js';
import * as transfer from './transfer.js';
import * as ui from './ui.js';
import { peerLabel, send, state } from './state.js';
import { beginCall, renderCalls } from './callview.js';
import { prepareLeg } from './media.js';
import { makeRoomForCall } from './waiting.js';
import { endCall } from './ending.js';

/** `incoming`: opens the popup and rings (the dialog replaces any transfer dialog). */
export function onIncoming(msg) {
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
export function closeIncoming() {
  if (!state.incoming) return;
  state.incoming = null;
  ui.hideIncoming();
  if (state.call && state.call.state === 'ringing') {
    tones.ringback();
  } else {
    tones.stop();
  }
}

/** Accept Audio / Accept Video: makes room, then answers with our media. */
export async function acceptIncoming(video) {
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

/** Decline: refuses the incoming call; the tab's other calls go on. */
export function declineIncoming() {
  const inc = state.incoming;
  if (!inc) return;
  send({ type: 'decline', call: inc.call });
  closeIncoming();
}
