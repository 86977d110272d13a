// The phone card: status line, timer, notices, the 1:1 media area, the
// Number field and keypad, the call buttons or in-call controls, the call
// list of a tab with two calls, and the attended-transfer bar.

import { t } from '../i18n.js';
import { peerLabel, otherCall } from '../model.js';
import { callKey } from '../incall.js';
import { consultCall } from '../transfer.js';
import { confTitle } from '../rooms.js';
import { remoteVideoTrack } from '../media.js';
import { mediaConnected } from '../mediawatch.js';
import {
  el, node, play, setAttr, setDisabled, setPressed, setStream, setText, show, textOf,
} from './dom.js';

/** Streams made for received tracks, so the same track keeps its stream. */
const streams = new WeakMap();

/** A MediaStream holding just track (the same one each time). */
export function streamOf(track) {
  if (!track) return null;
  let s = streams.get(track);
  if (!s) {
    s = new MediaStream([track]);
    streams.set(track, s);
  }
  return s;
}

/** Formats a duration as m:ss (h:mm:ss past an hour). */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The status line of a connected 1:1 call, including its hold state (F18). */
function connectedText(call) {
  if (call.holdRemote && call.holdLocal) return { key: 'status.on_hold_both', params: { peer: call.peer } };
  if (call.holdRemote) return { key: 'status.on_hold' };
  if (call.holdLocal) return { key: 'status.holding', params: { peer: call.peer } };
  return { key: 'status.connected', params: { peer: peerLabel(call) } };
}

/** What the status line says about the shown call. */
function callStatus(s, call) {
  if (s.conn.reconnecting) return { key: 'status.reconnecting' };
  const consultOf = call.consultFor;
  if (consultOf && consultOf.transferring) {
    return { key: 'status.transferring_party', params: { peer: consultOf.peer, to: call.peer } };
  }
  if (call.transferring) return { key: 'status.transferring_party', params: { peer: call.peer, to: call.transferTo } };
  if (call.conf) return confTitle(call.conf);
  switch (call.state) {
    case 'connected': return connectedText(call);
    case 'ringing': return { key: 'status.ringing', params: { peer: call.peer } };
    case 'connecting': return { key: 'status.connecting', params: { peer: peerLabel(call) } };
    case 'transferring': return { key: 'status.transferring_to', params: { peer: call.peer } };
    default: return { key: 'status.dialing', params: { peer: call.peer } };
  }
}

function renderStatus(s) {
  const call = s.shown;
  let text = '';
  let kind = '';
  let reason = null;
  if (call) {
    text = textOf(callStatus(s, call));
  } else if (s.lastEnd) {
    text = textOf(s.lastEnd);
    kind = s.lastEnd.failed ? 'failed' : 'ended';
    reason = s.lastEnd.reason;
  }
  setText(el.status, text);
  el.status.classList.toggle('failed', kind === 'failed');
  el.status.classList.toggle('ended', kind === 'ended');
  setAttr(el.status, 'data-reason', reason);
  show(el.dismissStatus, !call && !!s.lastEnd);
  // Below the status: who transferred the shown call here, or how long the
  // call that just ended lasted.
  let detail = '';
  if (call && call.transferredBy && !call.conf) {
    const by = call.transferredBy;
    detail = t('status.transferred_by', { by: by.name ? `${by.number} ${by.name}` : by.number });
  } else if (!call && s.lastEnd && s.lastEnd.duration) {
    detail = t('status.duration', { duration: formatDuration(s.lastEnd.duration) });
  }
  setText(el.callDetail, detail);
  show(el.callDetail, !!detail);
}

function renderIdleNotes(s, missed) {
  const m = !s.shown && s.view === 'main' ? missed() : null;
  show(el.missedNotice, !!m);
  if (m) {
    setText(el.missedText, t('phone.missed_from', { from: m.name ? `${m.number} ${m.name}` : m.number }));
    setText(el.missedCallBack, t('recent.call_back', { number: m.number }));
    el.missedCallBack.dataset.number = m.number;
  }
  const keys = s.shown && s.shown.state === 'connected' ? s.shown.keysSent : '';
  show(el.keysSent, !!keys);
  setText(el.keysSent, keys ? t('incall.keys_sent', { keys }) : '');
}

function renderTimer(s) {
  const call = s.shown;
  // The timer runs once the call's media is up (mediawatch.js), not over silence.
  const on = !!call && call.state === 'connected' && !!call.since && mediaConnected(call);
  show(el.timer, on);
  setText(el.timer, on ? formatDuration(Date.now() - call.since) : '0:00');
}

function renderNotice(s) {
  const n = s.notice && s.notice.until > Date.now() ? s.notice : null;
  show(el.notice, !!n);
  setText(el.notice, n ? textOf(n) : '');
  el.notice.dataset.kind = n && n.kind ? n.kind : '';
}

/** Initials or digits for the avatar of an audio call. */
function avatarText(peer, peerName) {
  if (peerName) {
    const parts = peerName.trim().split(/\s+/).slice(0, 2);
    return parts.map((p) => p[0].toUpperCase()).join('');
  }
  return peer || '';
}

function renderMedia(s, onBlocked) {
  const call = s.shown;
  const visible = !!call && !call.conf;
  const video = visible && call.video;
  show(el.media, visible);
  el.media.classList.toggle('audio-only', !video);
  el.phoneCard.classList.toggle('in-video', video);
  el.phoneCard.classList.toggle('in-conference', !!call && !!call.conf);
  setText(el.peerAvatar, visible ? avatarText(call.peer, call.peerName) : '');
  const track = visible ? remoteVideoTrack(call) : null;
  // The far side turned its camera off: its avatar, said in words.
  const cameraOff = video && call.state === 'connected' && !!call.peerCameraOff;
  el.media.classList.toggle('no-remote-video', cameraOff || !track || track.muted || track.readyState !== 'live');
  show(el.cameraOff, cameraOff);
  setText(el.cameraOff, cameraOff ? t('media.camera_off') : '');
  el.media.classList.toggle('local-off', visible && call.videoStopped);
  el.media.classList.toggle('on-hold', visible && (call.holdLocal || call.holdRemote));
  setVideo(el.remoteVideo, video ? streamOf(track) : null, onBlocked);
  setVideo(el.localVideo, video && call.leg ? call.leg.stream : null, onBlocked);
  // Received sound plays for the shown call only, in 1:1 calls and rooms (the mix).
  const audio = call && call.audioTrack ? streamOf(call.audioTrack) : null;
  if (el.remoteAudio.srcObject !== audio) {
    setStream(el.remoteAudio, audio);
    if (audio) play(el.remoteAudio, onBlocked);
  }
  if (el.remoteAudio.muted !== s.soundMuted) el.remoteAudio.muted = s.soundMuted;
  setSpeaker(s.devices.speaker);
}

let speaker = '';

/** Plays received sound on the chosen speaker (where the browser allows choosing). */
function setSpeaker(id) {
  if (speaker === id || typeof el.remoteAudio.setSinkId !== 'function') return;
  speaker = id;
  el.remoteAudio.setSinkId(id).catch((err) => console.warn('xphone: cannot play on that speaker', err));
}

function setVideo(media, stream, onBlocked) {
  if (media.srcObject === stream) return;
  setStream(media, stream);
  if (stream) play(media, onBlocked);
}

/** A short state of a call for the call list. */
function listState(s, c) {
  switch (c.state) {
    case 'connected':
      if (c.holdLocal || c.holdRemote) return t('calls.on_hold');
      return c === s.shown ? t('calls.active') : t('calls.connected');
    case 'ringing': return t('calls.ringing');
    case 'transferring': return t('calls.transferring');
    case 'ended': return t('calls.ended');
    default: return t('calls.calling');
  }
}

function renderCallList(s, onResume) {
  const two = s.calls.length >= 2;
  show(el.callList, two);
  const items = two ? s.calls.map((c) => ({
    key: callKey(c), label: peerLabel(c), state: listState(s, c), active: c === s.shown,
    canResume: c !== s.shown && c.state === 'connected' && !c.conf,
  })) : [];
  const sig = JSON.stringify(items) + t('calls.resume');
  if (el.callList.dataset.sig === sig) return;
  el.callList.dataset.sig = sig;
  el.callList.replaceChildren(...items.map((c) => {
    const li = node('li', 'call-item');
    li.classList.toggle('active', c.active);
    li.dataset.state = c.state;
    li.append(node('span', 'call-item-peer', c.label), node('span', 'call-item-state', c.state));
    if (c.canResume) {
      const b = node('button', 'btn btn-small call-item-resume', t('calls.resume'));
      b.type = 'button';
      b.addEventListener('click', () => onResume(c.key));
      li.append(b);
    }
    return li;
  }));
}

function renderTransferBar(s) {
  const c = consultCall();
  show(el.transferBar, !!c);
  if (!c) return;
  const held = c.consultFor;
  const params = { peer: c.peer, held: held.peer };
  setText(el.transferBarText, t(c.state === 'connected' ? 'transfer.bar_talking' : 'transfer.bar_calling', params));
  const can = c.state === 'connected' && !!held.id;
  setDisabled(el.completeTransfer, !can);
  setAttr(el.completeTransfer, 'title', t(can ? 'transfer.complete_hint' : 'transfer.complete_wait'));
}

function renderControls(s) {
  const call = s.shown;
  const inCall = !!call;
  show(el.callButtons, !inCall);
  show(el.hint, !inCall);
  show(el.callControls, inCall);
  show(el.stopVideo, inCall && call.video);
  setPressed(el.muteMic, inCall && call.micMuted);
  setPressed(el.muteSound, inCall && s.soundMuted);
  setPressed(el.stopVideo, inCall && call.videoStopped);
  const oneToOne = inCall && call.state === 'connected' && !call.conf && !!call.id;
  const other = inCall ? otherCall(call) : null;
  show(el.hold, oneToOne);
  setPressed(el.hold, oneToOne && call.holdLocal);
  setAttr(el.hold, 'title', t(oneToOne && call.holdLocal ? 'incall.resume' : 'incall.hold'));
  show(el.transfer, oneToOne && !call.consultFor);
  show(el.switchCall, !!other && other.state === 'connected' && !other.conf);
  setDisabled(el.audioCall, !s.webrtc);
  setAttr(el.audioCall, 'title', t(s.webrtc ? 'phone.audio_call' : 'phone.no_webrtc'));
  setDisabled(el.videoCall, !s.webrtc || !s.camera);
  setAttr(el.videoCall, 'title', t(s.camera ? 'phone.video_call' : 'phone.no_camera'));
  // Tooltips of disabled buttons are easy to miss: say it in the hint too.
  setText(el.hint, t(s.camera ? 'phone.hint' : 'phone.hint_no_camera'));
}

function renderDial(s) {
  if (el.number.value !== s.number) el.number.value = s.number;
  show(el.keypad, s.keypadOpen);
  setAttr(el.keypadToggle, 'aria-expanded', s.keypadOpen ? 'true' : 'false');
}

function renderMediaNote(s) {
  const call = s.shown;
  const lines = call && call.mediaNotes ? call.mediaNotes.map(textOf) : [];
  if (call && s.soundBlocked) lines.push(t('media.sound_blocked'));
  const text = lines.join(' · ');
  setText(el.mediaNote, text);
  show(el.mediaNote, !!text);
}

/**
 * The phone card's renderer; onResume(key) switches calls, onBlocked(media)
 * notes autoplay refusals, missed() is the missed call the idle screen names.
 */
export function phoneView({ onResume, onBlocked, missed }) {
  return (s) => {
    renderStatus(s);
    renderIdleNotes(s, missed);
    renderTimer(s);
    renderNotice(s);
    renderMediaNote(s);
    renderMedia(s, onBlocked);
    renderControls(s);
    renderCallList(s, onResume);
    renderTransferBar(s);
    renderDial(s);
  };
}
