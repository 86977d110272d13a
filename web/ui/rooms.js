// Conference rooms (docs/signaling.md, "Conference rooms"): the state of a
// room call — the room, roster, who speaks, and which received video
// transceiver (by SDP mid) carries whose picture. `conference` makes the
// call a room call, `roster`, `speakers` and `video-slots` update it, and
// `offer` is a server-initiated renegotiation that the call leg answers in
// order with its other signalling. views/conference.js draws it.

import { commit } from './store.js';
import { send } from './model.js';
import {
  beforeAnswer, onMeetingMessage, onRoster, startMeeting,
} from './meeting.js';

const MODES = ['all', 'speaker', 'none'];

/** Handles one conference message for `call` (a live call it names). */
export function onConferenceMessage(call, msg) {
  switch (msg.type) {
    case 'offer':
      answerOffer(call, msg);
      return;
    case 'conference':
      start(call, msg);
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
  if (msg.type === 'roster') onRoster(call);
}

function update(conf, msg) {
  switch (msg.type) {
    case 'roster':
      conf.roster = Array.isArray(msg.members) ? msg.members.filter((m) => m && m.id) : [];
      break;
    case 'speakers':
      conf.dominant = msg.dominant || '';
      conf.speaking = Array.isArray(msg.speaking) ? msg.speaking : [];
      break;
    case 'video-slots':
      conf.slots = Array.isArray(msg.slots) ? msg.slots.filter((s) => s && s.mid) : [];
      break;
    default:
      break;
  }
}

/** The call joined a room: the tiles replace the 1:1 media area. */
function start(call, msg) {
  call.conf = {
    room: msg.room || '',
    name: msg.name || '',
    mode: MODES.includes(msg.mode) ? msg.mode : 'all',
    self: msg.self || '',
    roster: [],
    dominant: '',
    speaking: [],
    slots: [],
  };
  startMeeting(call);
  for (const type of ['roster', 'speakers', 'video-slots']) {
    if (call.early.has(type)) update(call.conf, call.early.get(type));
  }
  for (const type of ['meeting', 'chat']) {
    if (call.early.has(type)) onMeetingMessage(call, call.early.get(type));
  }
  call.early.clear();
  onRoster(call);
}

/** Applies the server's offer after everything before it, then sends our answer. */
function answerOffer(call, msg) {
  if (!call.leg || typeof msg.sdp !== 'string') return;
  const hook = call.conf || call.screen ? (pc, sdp) => beforeAnswer(call, pc, sdp) : null;
  call.leg.applyOffer(msg.sdp, hook).then((sdp) => {
    if (sdp && !call.ended) send({ type: 'answer', call: call.id, sdp });
  }).catch((err) => {
    // The call goes on with the media it has (the leg rolled back); the
    // extra video slots of this offer stay unused.
    console.error('xphone: cannot apply the server offer', err);
  }).finally(commit);
}

/** The conference title as a text object, e.g. "Conference 800 Board". */
export function confTitle(conf) {
  return conf.name
    ? { key: 'conf.title_named', params: { room: conf.room, name: conf.name } }
    : { key: 'conf.title', params: { room: conf.room } };
}

/** A JSON picture of the state, for tests and debugging (window.xphone.conference()). */
export function snapshot(call) {
  const conf = call.conf;
  return {
    room: conf.room,
    name: conf.name,
    mode: conf.mode,
    self: conf.self,
    roster: conf.roster.map((m) => ({ ...m })),
    dominant: conf.dominant,
    speaking: [...conf.speaking],
    slots: conf.slots.map((s) => ({ ...s })),
    mids: [...call.videoTracks.keys()],
    pinned: call.meeting ? call.meeting.pinned : '',
  };
}
