// Meetings in conference rooms (docs/signaling.md, "Meetings"): the room's
// meeting state (`meeting`), its chat, notices, raised hands, screen
// sharing, the moderators' controls, recording, and the user's layout
// choices (a pinned tile, the speaker layout). It all lives on the room
// call as call.meeting; views/meeting.js and views/conference.js draw it.
// In a 1:1 video call only screen sharing exists: the screen replaces the
// camera on the video sender, and `peer-screen` says the other side does so.

import { commit, state } from './store.js';
import { send, sendOp } from './model.js';
import {
  cameraSender, captureScreen, takeScreenSlot, tuneScreenSender,
} from './screenshare.js';

/** How long a notice stays. */
const NOTICE_MS = 6000;

/** Chat lines kept per call (the server keeps the room's history). */
const MAX_CHAT = 500;

/** Flags of the `meeting` message. */
const FLAGS = ['locked', 'recording', 'moderator', 'may_share', 'may_record', 'self_unmute'];

/** A room call started (again): its meeting begins. */
export function startMeeting(call) {
  stopShare(call, false);
  call.meeting = {
    locked: false, recording: false, moderator: false, may_share: false, may_record: false, self_unmute: true,
    panel: '', // 'chat' | 'users' | ''
    chat: [], // {id, number, name, text, at}
    unread: 0,
    chatError: null, // {key}
    chatSent: 0, // counts messages sent, so the view empties the Message box
    notice: null, // {key, params, until}
    pinned: '', // the tile key the user pinned large
    speakerLayout: false,
    wasModMuted: false,
  };
  if (call.micMuted) request(call, { type: 'mute', on: true }); // muted before joining
}

/** The meeting of a live room call, or null. */
export function meetingOf(call) {
  return call && !call.ended && call.conf && call.meeting ? call.meeting : null;
}

/** This participant's roster entry in the call's room, or null. */
export function selfMember(call) {
  const conf = call && call.conf;
  return conf ? conf.roster.find((m) => m.id === conf.self) || null : null;
}

function request(call, msg, onRefused = refusedNotice(call)) {
  if (!call.id) return false;
  return sendOp('meeting', call, { ...msg, call: call.id }, { onRefused });
}

/** Shows a notice (a role=status line under the tiles) for a while. */
function showNotice(call, key, params = {}) {
  const m = call.meeting;
  if (!m) return;
  const notice = { key, params, until: Date.now() + NOTICE_MS };
  m.notice = notice;
  setTimeout(() => {
    if (m.notice === notice) {
      m.notice = null;
      commit();
    }
  }, NOTICE_MS);
}

/** The refusal of a meeting request, said as a notice. */
function refusedNotice(call) {
  return (msg) => showNotice(call, `meeting.error.${msg.reason || 'failed'}`);
}

// ---------------------------------------------------------------- messages

/** `meeting`, `chat`, `notice` and `peer-screen` messages of a live call. */
export function onMeetingMessage(call, msg) {
  if (msg.type === 'peer-screen') {
    call.peerScreen = !!msg.on;
    return;
  }
  if (!call.conf) {
    // Before `conference`: kept until the room call starts (rooms.js).
    if (msg.type === 'meeting' || (msg.type === 'chat' && msg.history)) call.early.set(msg.type, msg);
    return;
  }
  const m = meetingOf(call);
  if (!m) return;
  if (msg.type === 'meeting') for (const k of FLAGS) m[k] = !!msg[k];
  if (msg.type === 'chat') addChat(m, Array.isArray(msg.messages) ? msg.messages : [], !!msg.history);
  if (msg.type === 'notice') onNotice(call, msg);
}

function addChat(m, messages, history) {
  if (history) m.chat = [];
  const seen = new Set(m.chat.map((c) => c.id));
  let fresh = 0;
  for (const c of messages) {
    if (!c || typeof c.text !== 'string' || seen.has(c.id)) continue;
    seen.add(c.id);
    m.chat.push({
      id: c.id, number: String(c.number || ''), name: String(c.name || ''), text: c.text, at: c.at || 0,
    });
    fresh++;
  }
  if (m.chat.length > MAX_CHAT) m.chat = m.chat.slice(-MAX_CHAT); // a new array: the view redraws
  if (!history && m.panel !== 'chat') m.unread += fresh;
}

/** Notice kinds and their texts: about me, about someone else. */
const NOTICES = {
  joined: ['meeting.notice.joined', 'meeting.notice.joined'],
  left: ['meeting.notice.left', 'meeting.notice.left'],
  removed: ['meeting.notice.removed', 'meeting.notice.removed'],
  muted: ['meeting.notice.muted_you', 'meeting.notice.muted'],
  unmuted: ['meeting.notice.unmuted_you', ''],
  locked: ['meeting.notice.locked', 'meeting.notice.locked'],
  unlocked: ['meeting.notice.unlocked', 'meeting.notice.unlocked'],
  recording_started: ['meeting.notice.recording_started', 'meeting.notice.recording_started'],
  recording_stopped: ['meeting.notice.recording_stopped', 'meeting.notice.recording_stopped'],
  recording_failed: ['meeting.notice.recording_failed', 'meeting.notice.recording_failed'],
};

function onNotice(call, n) {
  const texts = NOTICES[n.kind];
  if (!texts) return;
  const me = !!n.member && n.member === call.conf.self;
  const key = texts[me ? 0 : 1];
  if (!key) return;
  showNotice(call, key, {
    who: n.name || n.number || { key: 'meeting.someone' },
    by: n.by_name || n.by || { key: 'meeting.a_moderator' },
    detail: n.detail || { key: 'meeting.not_written' },
  });
}

/** The roster changed: a moderator's mute switches the microphone off here too. */
export function onRoster(call) {
  const m = meetingOf(call);
  if (!m) return;
  const me = selfMember(call);
  const modMuted = !!(me && me.mod_muted);
  if (modMuted && !m.wasModMuted) {
    call.micMuted = true;
    if (call.leg) call.leg.setMicMuted(true);
  }
  m.wasModMuted = modMuted;
}

// ---------------------------------------------------------------- the user's actions

/** Sends a chat message; false when it could not be sent. */
export function sendChat(text) {
  const call = state.shown;
  const m = meetingOf(call);
  const body = String(text || '').trim();
  if (!m || !body) return false;
  const sent = request(call, { type: 'chat', text: body }, (msg) => {
    m.chatError = { key: `meeting.error.${msg.reason || 'failed'}` };
  });
  if (sent) {
    m.chatError = null;
    m.chatSent++;
  }
  return sent;
}

/** Raise hand / Lower hand. */
export function toggleHand() {
  const call = state.shown;
  if (!meetingOf(call)) return;
  const me = selfMember(call);
  request(call, { type: 'hand', on: !(me && me.hand) });
}

/** Record (moderators): starts or stops the room's recording. */
export function toggleRecord() {
  const call = state.shown;
  const m = meetingOf(call);
  if (m) request(call, { type: 'record', on: !m.recording }, refusedNotice(call));
}

/** Speaker layout: the speaker large, or the grid. */
export function toggleLayout() {
  const m = meetingOf(state.shown);
  if (m) m.speakerLayout = !m.speakerLayout;
}

/** Pins a tile large (again: unpins it). */
export function pinTile(key) {
  const m = meetingOf(state.shown);
  if (m) m.pinned = m.pinned === key ? '' : key;
}

/** Opens panel 'chat' or 'users' (the other closes); again, or '': closes it. */
export function showPanel(name) {
  const m = meetingOf(state.shown);
  if (!m) return;
  m.panel = m.panel === name ? '' : name;
  if (m.panel === 'chat') {
    m.unread = 0;
    state.focus = 'chat';
  }
}

/** A moderator's action on a member ('mute', 'remove') or the room ('lock'). */
export function moderate(action, member, on) {
  const call = state.shown;
  if (meetingOf(call)) request(call, { type: 'moderate', action, member, on }, refusedNotice(call));
}

/** Lock room toggle. */
export function toggleLock() {
  const m = meetingOf(state.shown);
  if (m) moderate('lock', '', !m.locked);
}

/**
 * The user switched the microphone of call (muted: off); false when it must
 * stay off (a moderator's mute and a policy without self-unmute).
 */
export function onMicToggled(call, muted) {
  const m = meetingOf(call);
  if (!m) return true;
  const me = selfMember(call);
  if (!muted && me && me.mod_muted && !m.self_unmute) {
    showNotice(call, 'meeting.notice.muted_you', { by: { key: 'meeting.a_moderator' } });
    return false;
  }
  request(call, { type: 'mute', on: muted });
  return true;
}

// ---------------------------------------------------------------- screen sharing

/** Share screen: starts or stops sharing on the shown call. */
export async function toggleShare() {
  const call = state.shown;
  if (!call || call.ended) return;
  if (call.screen) {
    stopShare(call, true);
    return;
  }
  let cap;
  try {
    cap = await captureScreen();
  } catch (err) {
    console.warn('xphone: no screen to share', err);
    if (call.meeting) showNotice(call, 'meeting.notice.share_cancelled');
    return;
  }
  if (call.ended || state.shown !== call || call.screen) {
    cap.track.stop();
    return;
  }
  call.screen = cap;
  // The browser's own "Stop sharing" ends the track.
  cap.track.addEventListener('ended', () => {
    if (call.screen === cap) {
      stopShare(call, true);
      commit();
    }
  });
  await putScreenOn(call, cap);
  if (call.screen !== cap) return;
  sendOp('meeting', call, { type: 'screen', call: call.id, on: true }, {
    onRefused: (msg) => {
      stopShare(call, false);
      if (call.meeting) refusedNotice(call)(msg);
    },
  });
}

/** Sends the screen: on the room's screen slot, or instead of the 1:1 camera. */
async function putScreenOn(call, cap) {
  if (call.conf) {
    if (call.screenSender) {
      await call.screenSender.replaceTrack(cap.track);
      tuneScreenSender(call.screenSender);
    }
    return;
  }
  const sender = call.leg ? cameraSender(call.leg.pc) : null;
  if (!sender) {
    stopShare(call, false);
    return;
  }
  call.cameraTrack = sender.track;
  call.screenSender = sender;
  await sender.replaceTrack(cap.track);
}

/** Stops sharing: the sender goes back to nothing (rooms) or the camera (1:1). */
export function stopShare(call, tell) {
  const cap = call.screen;
  if (!cap) return;
  call.screen = null;
  const sender = call.screenSender;
  if (sender && !call.ended) {
    sender.replaceTrack(call.conf ? null : (call.cameraTrack || null)).catch(() => {});
  }
  for (const tr of cap.stream.getTracks()) tr.stop();
  if (tell && call.id && !call.ended) send({ type: 'screen', call: call.id, on: false });
}

/**
 * Before answering a server offer of a room call: the offer's receive-only
 * video m-line is the screen's; it gets the screen being shared (if any).
 */
export async function beforeAnswer(call, pc, sdp) {
  const sender = await takeScreenSlot(pc, sdp, call.screen ? call.screen.track : null);
  if (sender) {
    call.screenSender = sender;
    if (call.screen) setTimeout(() => tuneScreenSender(sender), 0);
  }
}

/** A JSON picture of the shown call's meeting (window.xphone.meeting()). */
export function meetingSnapshot(call) {
  const m = meetingOf(call);
  if (!m) return null;
  const out = {};
  for (const k of FLAGS) out[k] = m[k];
  return {
    ...out, panel: m.panel, unread: m.unread, sharing: !!call.screen, pinned: m.pinned, speakerLayout: m.speakerLayout,
  };
}
