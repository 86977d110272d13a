// Meetings in conference rooms (docs/signaling.md, "Meetings"): the room's
// state (`meeting`), chat, notices, raised hands, screen sharing, the
// moderators' controls and recording. It sits beside conference.js (tiles)
// with a few hooks from the older modules: calls.js routes the messages,
// rooms.js creates and ends a call's Meeting and lets it take the screen
// slot of server offers, incall.js tells it of microphone changes, and
// callview.js asks it to redraw the meeting buttons.
//
// Accessible names the browser tests use: toggles "Share screen", "Raise
// hand", "Record" (aria-pressed), the "Chat" button and panel (role log
// "Chat", textbox "Message"), the "Users" panel with "Mute NUMBER",
// "Remove NUMBER" and "Lock room", role=status "Recording" and "Muted by
// moderator", and notices ("Bob joined") in a role=status region.

import * as ui from './ui.js';
import { send, state } from './state.js';
import { sendOp } from './incall.js';
import { ChatView } from './chat.js';
import { PeopleView } from './people.js';
import {
  cameraSender, captureScreen, takeScreenSlot, tuneScreenSender,
} from './screenshare.js';

const $ = (id) => document.getElementById(id);

/** How long a notice stays. */
const NOTICE_MS = 6000;

let els = null;

/** Wires the meeting buttons once; they act on the shown call. */
export function initMeeting() {
  els = {
    share: $('share-screen'), hand: $('raise-hand'), chat: $('chat-toggle'), record: $('record'),
    layout: $('layout-toggle'), rec: $('rec-indicator'), notice: $('meeting-notice'), modMuted: $('mod-muted'),
    usersButton: $('users-button'), chatClose: $('chat-close'), usersClose: $('users-close'),
  };
  els.share.addEventListener('click', () => toggleShare(state.call));
  els.hand.addEventListener('click', () => meetingOf(state.call)?.toggleHand());
  els.record.addEventListener('click', () => meetingOf(state.call)?.toggleRecord());
  els.layout.addEventListener('click', () => meetingOf(state.call)?.toggleLayout());
  els.chat.addEventListener('click', () => meetingOf(state.call)?.showPanel('chat'));
  els.usersButton.addEventListener('click', () => meetingOf(state.call)?.showPanel('users'));
  els.chatClose.addEventListener('click', () => meetingOf(state.call)?.showPanel(''));
  els.usersClose.addEventListener('click', () => meetingOf(state.call)?.showPanel(''));
}

function meetingOf(call) {
  return call && !call.ended && call.meeting ? call.meeting : null;
}

/** One room call's meeting. */
class Meeting {
  constructor(call) {
    this.call = call;
    this.state = { locked: false, recording: false, moderator: false, may_share: false, may_record: false, self_unmute: true };
    this.chat = new ChatView((text) => this.sendChat(text));
    this.people = new PeopleView({ moderate: (action, member, on) => this.moderate(action, member, on) });
    this.panel = '';
    this.wasModMuted = false;
    this.noticeTimer = null;
    call.conf.onChange = () => this.onRoster();
    call.conf.setLocalMuted(call.micMuted);
    if (call.micMuted) this.request({ type: 'mute', on: true }); // muted before joining
  }

  get self() {
    return this.call.conf ? this.call.conf.selfMember : null;
  }

  request(msg, onRefused) {
    if (!this.call.id) return false;
    return sendOp('meeting', this.call, { ...msg, call: this.call.id }, { onRefused });
  }

  onMeeting(msg) {
    for (const k of Object.keys(this.state)) this.state[k] = !!msg[k];
    this.render();
  }

  onRoster() {
    const me = this.self;
    const modMuted = !!(me && me.mod_muted);
    if (modMuted && !this.wasModMuted) forceMute(this.call); // the server already does not mix us
    this.wasModMuted = modMuted;
    this.render();
  }

  onNotice(msg) {
    const text = noticeText(msg, this.call.conf ? this.call.conf.self : '');
    if (text) showNotice(text);
  }

  sendChat(text) {
    return this.request({ type: 'chat', text }, (err) => this.chat.setError(err.message || 'Not sent'));
  }

  toggleHand() {
    const me = this.self;
    this.request({ type: 'hand', on: !(me && me.hand) });
  }

  toggleRecord() {
    this.request({ type: 'record', on: !this.state.recording }, (err) => showNotice(err.message || 'Not allowed'));
  }

  toggleLayout() {
    const conf = this.call.conf;
    conf.setSpeakerLayout(!conf.speakerLayout);
    this.render();
  }

  moderate(action, member, on) {
    this.request({ type: 'moderate', action, member, on }, (err) => showNotice(err.message || 'Not allowed'));
  }

  /** Opens panel 'chat' or 'users' (the other closes), or closes both (''). Again: closes it. */
  showPanel(name) {
    this.panel = this.panel === name ? '' : name;
    this.chat.setOpen(this.panel === 'chat');
    this.people.setOpen(this.panel === 'users');
    this.render();
  }

  /** Microphone toggled by the user; false when it must stay off. */
  onMic(muted) {
    const me = this.self;
    if (!muted && me && me.mod_muted && !this.state.self_unmute) {
      showNotice('A moderator muted you');
      return false;
    }
    this.call.conf.setLocalMuted(muted);
    this.request({ type: 'mute', on: muted });
    return true;
  }

  render() {
    if (state.call !== this.call || !this.call.conf) return;
    const conf = this.call.conf;
    const me = this.self;
    els.rec.hidden = !this.state.recording;
    els.modMuted.hidden = !(me && me.mod_muted);
    els.record.hidden = !this.state.may_record;
    ui.setPressed(els.record, this.state.recording);
    els.record.title = this.state.recording ? 'Stop recording' : 'Record';
    els.share.hidden = !this.state.may_share && !this.call.screen;
    ui.setPressed(els.share, !!this.call.screen);
    els.hand.hidden = false;
    ui.setPressed(els.hand, !!(me && me.hand));
    els.hand.title = me && me.hand ? 'Lower hand' : 'Raise hand';
    els.chat.hidden = false;
    els.layout.hidden = conf.mode === 'none';
    ui.setPressed(els.layout, conf.speakerLayout);
    els.usersButton.setAttribute('aria-expanded', this.panel === 'users' ? 'true' : 'false');
    this.people.update(conf.roster, conf.self, this.state.moderator, this.state.locked);
  }

  destroy() {
    clearTimeout(this.noticeTimer);
    stopShare(this.call, false);
    this.chat.destroy();
    this.people.destroy();
  }
}

/** A room call started: its meeting begins. */
export function startMeeting(call) {
  if (call.meeting) call.meeting.destroy();
  call.meeting = new Meeting(call);
  call.meeting.render();
}

/** The call ended (or left its room). */
export function endMeeting(call) {
  if (call.meeting) {
    call.meeting.destroy();
    call.meeting = null;
  } else {
    stopShare(call, false);
  }
  if (!state.call || state.call === call) hideControls();
}

/** `meeting`, `chat`, `notice` and `peer-screen` messages of a call. */
export function onMeetingMessage(call, msg) {
  if (msg.type === 'peer-screen') {
    onPeerScreen(call, msg);
    return;
  }
  const m = meetingOf(call);
  if (!m) return;
  if (msg.type === 'meeting') m.onMeeting(msg);
  if (msg.type === 'chat') m.chat.add(Array.isArray(msg.messages) ? msg.messages : [], !!msg.history);
  if (msg.type === 'notice') m.onNotice(msg);
}

/** The user switched the microphone; false when it must stay off (a moderator's mute). */
export function onMicToggled(call, muted) {
  const m = meetingOf(call);
  return m ? m.onMic(muted) : true;
}

/** Redraws the meeting buttons for the shown call (callview.js). */
export function renderMeeting() {
  const call = state.call;
  const m = meetingOf(call);
  if (m) {
    m.render();
    return;
  }
  hideControls();
  if (call && !call.ended && !call.conf && call.video && call.state === 'connected') {
    els.share.hidden = false; // 1:1 video call: the screen instead of the camera
    ui.setPressed(els.share, !!call.screen);
  }
}

function hideControls() {
  for (const b of [els.share, els.hand, els.chat, els.record, els.layout]) b.hidden = true;
  els.rec.hidden = true;
  els.modMuted.hidden = true;
  els.notice.textContent = '';
}

/** A moderator muted us: switch the microphone off here too. */
function forceMute(call) {
  call.micMuted = true;
  if (call.leg) call.leg.setMicMuted(true);
  if (state.call === call) ui.setPressed(ui.el.muteMic, true);
  if (call.conf) call.conf.setLocalMuted(true);
}

function showNotice(text) {
  els.notice.textContent = text;
  const m = meetingOf(state.call);
  clearTimeout(showNotice.timer);
  showNotice.timer = setTimeout(() => { if (els.notice.textContent === text) els.notice.textContent = ''; }, NOTICE_MS);
  if (m) m.noticeTimer = showNotice.timer;
}

/** The text of a notice for this participant ('' when there is nothing to say). */
export function noticeText(n, self) {
  const who = n.name || n.number || 'Someone';
  const by = n.by_name || n.by || 'a moderator';
  const me = n.member && n.member === self;
  switch (n.kind) {
    case 'joined': return `${who} joined`;
    case 'left': return `${who} left`;
    case 'removed': return `${by} removed ${who}`;
    case 'muted': return me ? `${by} muted you` : `${by} muted ${who}`;
    case 'unmuted': return me ? `${by} let you speak again: switch your microphone on when ready` : '';
    case 'locked': return `${by} locked the room`;
    case 'unlocked': return `${by} unlocked the room`;
    case 'recording_started': return `${by} started recording`;
    case 'recording_stopped': return 'Recording stopped';
    case 'recording_failed': return `Recording stopped: ${n.detail || 'it could not be written'}`;
    default: return '';
  }
}

// ---------------------------------------------------------------- screen sharing

/** Share screen: starts or stops sharing on the shown call. */
async function toggleShare(call) {
  if (!call || call.ended) return;
  if (call.screen) {
    stopShare(call, true);
    renderMeeting();
    return;
  }
  let cap;
  try {
    cap = await captureScreen();
  } catch (err) {
    console.warn('xphone: no screen to share', err);
    showNotice('Screen sharing was cancelled');
    return;
  }
  if (call.ended || state.call !== call) {
    cap.track.stop();
    return;
  }
  call.screen = cap;
  // The browser's own "Stop sharing" ends the track.
  cap.track.addEventListener('ended', () => { if (call.screen === cap) { stopShare(call, true); renderMeeting(); } });
  if (call.conf) {
    if (call.screenSender) {
      await call.screenSender.replaceTrack(cap.track);
      tuneScreenSender(call.screenSender);
    }
  } else {
    const sender = call.leg ? cameraSender(call.leg.pc) : null;
    if (!sender) {
      stopShare(call, false);
      return;
    }
    call.cameraTrack = sender.track;
    call.screenSender = sender;
    await sender.replaceTrack(cap.track);
  }
  sendOp('meeting', call, { type: 'screen', call: call.id, on: true }, {
    onRefused: (err) => {
      stopShare(call, false);
      renderMeeting();
      showNotice(err.message || 'Screen sharing is not allowed here');
    },
  });
  renderMeeting();
}

/** Stops sharing: the sender goes back to nothing (rooms) or the camera (1:1). */
function stopShare(call, tell) {
  const cap = call.screen;
  if (!cap) return;
  call.screen = null;
  const sender = call.screenSender;
  if (sender && !call.ended) {
    sender.replaceTrack(call.conf ? null : (call.cameraTrack || null)).catch(() => {});
  }
  for (const t of cap.stream.getTracks()) t.stop();
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

/** 1:1 call: the other party shares their screen instead of their camera. */
function onPeerScreen(call, msg) {
  call.peerScreen = !!msg.on;
  if (state.call !== call) return;
  ui.el.remoteVideo.setAttribute('aria-label', msg.on ? `Screen ${call.peer}` : 'Remote video');
  ui.el.media.classList.toggle('peer-screen', !!msg.on);
  if (msg.on) ui.notice(`${call.peerName || call.peer} is sharing their screen`);
}
