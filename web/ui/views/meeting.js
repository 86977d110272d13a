// The meeting part of the card, drawn from the shown call's meeting
// (meeting.js): the meeting buttons (Share screen, Raise hand, Chat, Speaker
// layout, Record), the Recording and Muted by moderator indicators, the
// notices ("Bob joined"), the Chat panel and the Users panel with the
// moderators' controls. In a 1:1 video call only Share screen shows, and
// the remote video is named "Screen NUMBER" while the other side shares.
//
// Chat text is put on the page as text (textContent), never as markup.

import { t } from '../i18n.js';
import { meetingOf, selfMember } from '../meeting.js';
import {
  el, node, setAttr, setPressed, setText, show, textOf,
} from './dom.js';

const $ = (id) => document.getElementById(id);

/** The meeting's elements (static in the page). */
const m$ = {
  share: $('share-screen'),
  hand: $('raise-hand'),
  chat: $('chat-toggle'),
  layout: $('layout-toggle'),
  record: $('record'),
  rec: $('rec-indicator'),
  notice: $('meeting-notice'),
  modMuted: $('mod-muted'),
  usersButton: $('users-button'),
  chatPanel: $('chat-panel'),
  chatLog: $('chat-log'),
  chatInput: $('chat-input'),
  chatError: $('chat-error'),
  chatBadge: $('chat-badge'),
  chatUnread: $('chat-unread'),
  usersPanel: $('users-panel'),
  lock: $('lock-room'),
  people: $('people-list'),
};

/** The elements app.js wires events to. */
export const meetingEls = m$;

/**
 * The meeting view. onModerate(action, member, on) carries out a
 * moderator's button in the Users panel.
 */
export function meetingView({ onModerate }) {
  let drawnChat = null; // the chat array the log shows
  let drawnCount = 0;
  let sentSeen = 0;
  let peopleKey = '';
  return (s) => {
    const call = s.shown;
    const m = meetingOf(call);
    renderButtons(call, m);
    renderIndicators(call, m);
    renderRemoteScreen(call);
    if (!m) {
      if (drawnChat) m$.chatLog.replaceChildren();
      drawnChat = null;
      drawnCount = 0;
      peopleKey = '';
      m$.people.replaceChildren();
      m$.chatInput.value = '';
      sentSeen = 0;
      return;
    }
    if (m.chat !== drawnChat || m.chat.length !== drawnCount) {
      drawChat(m, drawnChat === m.chat ? drawnCount : -1);
      drawnChat = m.chat;
      drawnCount = m.chat.length;
    }
    if (m.chatSent !== sentSeen) {
      sentSeen = m.chatSent;
      m$.chatInput.value = '';
    }
    setText(m$.chatError, m.chatError ? textOf(m.chatError) : '');
    const key = peopleKeyOf(call, m);
    if (key !== peopleKey) {
      peopleKey = key;
      drawPeople(call, m, onModerate);
    }
    if (s.focus === 'chat' && m.panel === 'chat') m$.chatInput.focus();
  };
}

function renderButtons(call, m) {
  const me = m ? selfMember(call) : null;
  const oneToOneVideo = !!call && !call.ended && !call.conf && call.video && call.state === 'connected';
  show(m$.share, m ? (m.may_share || !!call.screen) : oneToOneVideo);
  setPressed(m$.share, !!call && !!call.screen);
  show(m$.hand, !!m);
  setPressed(m$.hand, !!(me && me.hand));
  const handName = t(me && me.hand ? 'meeting.lower_hand' : 'meeting.raise_hand');
  setAttr(m$.hand, 'title', handName);
  show(m$.chat, !!m);
  show(m$.layout, !!m && call.conf.mode !== 'none');
  setPressed(m$.layout, !!m && m.speakerLayout);
  show(m$.record, !!m && m.may_record);
  setPressed(m$.record, !!m && m.recording);
  setAttr(m$.record, 'title', t(m && m.recording ? 'meeting.stop_recording' : 'meeting.record'));
  setAttr(m$.usersButton, 'aria-expanded', m && m.panel === 'users' ? 'true' : 'false');
  setAttr(m$.chat, 'aria-expanded', m && m.panel === 'chat' ? 'true' : 'false');
  show(m$.chatPanel, !!m && m.panel === 'chat');
  show(m$.usersPanel, !!m && m.panel === 'users');
  const unread = m ? m.unread : 0;
  show(m$.chatBadge, unread > 0);
  setText(m$.chatBadge, unread > 99 ? '99+' : String(unread));
  setText(m$.chatUnread, unread ? t('meeting.unread', { n: unread }) : '');
  if (m$.chat.dataset.unread !== String(unread)) m$.chat.dataset.unread = String(unread);
  show(m$.lock, !!m && m.moderator);
  setPressed(m$.lock, !!m && m.locked);
  setAttr(m$.lock, 'title', t(m && m.locked ? 'meeting.unlock_room' : 'meeting.lock_room'));
}

function renderIndicators(call, m) {
  const me = m ? selfMember(call) : null;
  show(m$.rec, !!m && m.recording);
  show(m$.modMuted, !!(me && me.mod_muted));
  const live = m && m.notice && m.notice.until > Date.now() ? m.notice : null;
  setText(m$.notice, live ? textOf(live) : '');
}

/** 1:1 call: the other party's screen replaces their camera. */
function renderRemoteScreen(call) {
  const screen = !!call && !call.conf && !!call.peerScreen;
  setAttr(el.remoteVideo, 'aria-label', screen ? t('conf.screen', { number: call.peer }) : t('media.remote_video'));
  if (el.media.classList.contains('peer-screen') !== screen) el.media.classList.toggle('peer-screen', screen);
}

/** Appends the chat lines after `from` (or redraws all when from < 0). */
function drawChat(m, from) {
  if (from < 0 || from > m.chat.length) {
    m$.chatLog.replaceChildren(...m.chat.map(line));
  } else {
    m$.chatLog.append(...m.chat.slice(from).map(line));
    while (m$.chatLog.childElementCount > m.chat.length) m$.chatLog.firstElementChild.remove();
  }
  m$.chatLog.scrollTop = m$.chatLog.scrollHeight;
}

/** One "NAME: text" line; the time goes in a tooltip. */
function line(c) {
  const p = node('p', 'chat-line');
  p.append(node('span', 'chat-who', `${c.name || c.number}: `), node('span', 'chat-text', c.text));
  if (c.at) p.title = new Date(c.at).toLocaleTimeString();
  return p;
}

/** What the Users panel shows, as a string: redrawn only when it changes. */
function peopleKeyOf(call, m) {
  const rows = call.conf.roster.map((r) => [r.id, r.number, r.name, r.hand, r.muted, r.mod_muted, r.moderator]);
  return JSON.stringify([call.conf.self, m.moderator, rows, t('conf.you_mark')]);
}

function drawPeople(call, m, onModerate) {
  const self = call.conf.self;
  m$.people.replaceChildren(...call.conf.roster.map((r) => row(r, r.id === self, m.moderator, onModerate)));
}

function row(r, self, moderator, onModerate) {
  const li = node('li', 'people-row');
  li.dataset.member = r.id;
  li.dataset.hand = r.hand ? 'true' : 'false';
  li.dataset.muted = r.muted ? 'true' : 'false';
  li.append(node('span', 'people-who', `${r.number} ${r.name || ''}`.trim() + (self ? ` ${t('conf.you_mark')}` : '')));
  const marks = node('span', 'people-marks');
  if (r.hand) marks.append(mark('people-hand', '✋', t('conf.hand_raised')));
  if (r.muted) marks.append(mark('people-muted', '🔇', t(r.mod_muted ? 'meeting.mod_muted' : 'conf.muted')));
  if (r.moderator) marks.append(mark('people-mod', '★', t('meeting.moderator')));
  li.append(marks);
  if (moderator && !self) {
    const mute = button(t('meeting.mute_member', { number: r.number }), t(r.mod_muted ? 'meeting.unmute' : 'meeting.mute'), 'people-mute');
    setPressed(mute, !!r.mod_muted);
    mute.addEventListener('click', () => onModerate('mute', r.id, !r.mod_muted));
    const remove = button(t('meeting.remove_member', { number: r.number }), t('meeting.remove'), 'people-remove');
    remove.addEventListener('click', () => onModerate('remove', r.id, true));
    li.append(mute, remove);
  }
  return li;
}

function mark(className, glyph, label) {
  const s = node('span', `people-mark ${className}`, glyph);
  s.setAttribute('role', 'img');
  s.setAttribute('aria-label', label);
  s.title = label;
  return s;
}

function button(name, caption, className) {
  const b = node('button', `btn btn-small ${className}`, caption);
  b.type = 'button';
  b.setAttribute('aria-label', name);
  b.title = name;
  return b;
}
