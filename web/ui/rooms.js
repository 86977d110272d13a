// Conference-room messages of one call (docs/signaling.md, "Conference
// rooms"): `conference` switches the call to the tile view, `roster`,
// `speakers` and `video-slots` update it, and `offer` is a server-initiated
// renegotiation that the call leg answers in order with its other signalling.

import { Conference } from './conference.js';
import * as ui from './ui.js';
import { beforeAnswer, endMeeting, onMeetingMessage, startMeeting } from './meeting.js';

/** End reasons of a room dial that open the PIN dialog. */
export const PIN_REASONS = new Set(['pin_required', 'wrong_pin']);

/**
 * Handles one conference message for `call` (the active call it names).
 * ctx: {me, send(msg), isActive()}.
 */
export function onMessage(call, msg, ctx) {
  switch (msg.type) {
    case 'offer':
      answerOffer(call, msg, ctx);
      return;
    case 'conference':
      start(call, msg, ctx.me);
      return;
    case 'meeting':
    case 'chat':
    case 'notice':
    case 'peer-screen':
      onMeetingMessage(call, msg);
      return;
    default:
      break;
  }
  if (!call.conf) {
    call.early.set(msg.type, msg); // applied when `conference` arrives
    return;
  }
  update(call.conf, msg);
}

function update(conf, msg) {
  switch (msg.type) {
    case 'roster':
      conf.onRoster(msg.members);
      break;
    case 'speakers':
      conf.onSpeakers(msg.dominant, msg.speaking);
      break;
    case 'video-slots':
      conf.onSlots(msg.slots);
      break;
    default:
      break;
  }
}

/** The call joined a room: the tiles replace the 1:1 media area. */
function start(call, msg, me) {
  if (call.conf) {
    endMeeting(call);
    call.conf.destroy();
  }
  const conf = new Conference(msg, me);
  call.conf = conf;
  ui.setConferenceLayout(true);
  conf.setLocal(call.leg ? call.leg.stream : null, call.video, call.videoStopped);
  for (const [mid, track] of call.videoTracks) conf.addVideoTrack(mid, track);
  for (const type of ['roster', 'speakers', 'video-slots']) {
    if (call.early.has(type)) update(conf, call.early.get(type));
  }
  call.early.clear();
  startMeeting(call);
  ui.setStatus(conf.title);
}

/** Applies the server's offer after everything before it, then sends our answer. */
function answerOffer(call, msg, ctx) {
  if (!call.leg || typeof msg.sdp !== 'string') return;
  const hook = call.conf || call.screen ? (pc, sdp) => beforeAnswer(call, pc, sdp) : null;
  call.leg.applyOffer(msg.sdp, hook).then((sdp) => {
    if (sdp && ctx.isActive()) ctx.send({ type: 'answer', call: call.id, sdp });
  }).catch((err) => {
    // The call goes on with the media it has (the leg rolled back); the
    // extra video slots of this offer stay unused.
    console.error('xphone: cannot apply the server offer', err);
  });
}
