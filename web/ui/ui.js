// DOM rendering: views, status line, timer, keypad, incoming dialog.
// No call logic lives here; app.js decides, this module draws.

const $ = (id) => document.getElementById(id);

/** DOM elements by role in the page. */
export const el = {
  loadingView: $('loading-view'),
  loginView: $('login-view'),
  mainView: $('main-view'),
  loginForm: $('login-form'),
  loginExt: $('login-ext'),
  loginPassword: $('login-password'),
  loginError: $('login-error'),
  loginSubmit: $('login-submit'),
  userExt: $('user-ext'),
  userName: $('user-name'),
  logout: $('logout'),
  connBadge: $('conn-badge'),
  phoneCard: document.querySelector('.phone-card'),
  status: $('call-status'),
  timer: $('call-timer'),
  media: $('media'),
  remoteVideo: $('remote-video'),
  localVideo: $('local-video'),
  remoteAudio: $('remote-audio'),
  peerAvatar: $('peer-avatar'),
  number: $('number'),
  keypadToggle: $('keypad-toggle'),
  keypad: $('keypad'),
  callButtons: $('call-buttons'),
  audioCall: $('audio-call'),
  videoCall: $('video-call'),
  hint: $('hint'),
  callControls: $('call-controls'),
  muteMic: $('mute-mic'),
  muteSound: $('mute-sound'),
  stopVideo: $('stop-video'),
  hangup: $('hangup'),
  hold: $('hold'),
  transfer: $('transfer'),
  switchCall: $('switch-call'),
  callList: $('call-list'),
  transferBar: $('transfer-bar'),
  transferBarText: $('transfer-bar-text'),
  completeTransfer: $('complete-transfer'),
  cancelConsult: $('cancel-consult'),
  notice: $('notice'),
  incomingBackdrop: $('incoming-backdrop'),
  incoming: $('incoming'),
  incomingTitle: $('incoming-title'),
  incomingName: $('incoming-name'),
  incomingNumber: $('incoming-number'),
  acceptAudio: $('accept-audio'),
  acceptVideo: $('accept-video'),
  decline: $('decline'),
};

/** One-time DOM preparation. */
export function init() {
  // Accept Video is added to the DOM only for video calls when a camera exists.
  el.acceptVideo.remove();
  el.acceptVideo.hidden = false;
}

/** Readable texts for call-state `ended` reasons (docs/signaling.md). */
const REASON_TEXT = {
  hangup: 'Call ended',
  busy: 'Busy',
  declined: 'Declined',
  not_found: 'No such number',
  unavailable: 'Unavailable (not logged in)',
  no_answer: 'No answer',
  cancelled: 'Cancelled',
  answered_elsewhere: 'Answered on another device',
  media_failed: 'Media connection failed',
  forbidden: 'Not allowed to call this number',
  room_full: 'The conference room is full',
  pin_required: 'This room needs a PIN',
  wrong_pin: 'Wrong PIN',
  transferred: 'Transferred',
  trunk_unavailable: 'Trunk unavailable',
  congestion: 'All lines busy, try again later',
  no_media: 'No audio: the media connection did not come up',
  connection_lost: 'Connection lost',
  server_restart: 'The server restarted',
  error: 'Call failed',
};

/** Reasons that are a normal end of a call rather than a failure. */
const NORMAL_END = new Set(['hangup', 'cancelled', 'answered_elsewhere', 'local', 'transferred']);

/** Maps a reason to text; the server's own message wins when present. */
export function reasonText(reason, message) {
  if (message) return message;
  return REASON_TEXT[reason] || 'Call ended';
}

/** Whether an ended reason is a failure (shown in red). */
export function isFailure(reason) {
  return !NORMAL_END.has(reason);
}

/** Shows one of 'loading' | 'login' | 'main'. */
export function showView(name) {
  el.loadingView.hidden = name !== 'loading';
  el.loginView.hidden = name !== 'login';
  el.mainView.hidden = name !== 'main';
}

export function setUser(ext, name) {
  el.userExt.textContent = ext || '';
  el.userName.textContent = name || '';
  document.title = ext ? `Xphone – ${ext}` : 'Xphone';
}

export function setLoginError(text) {
  el.loginError.textContent = text || '';
}

export function setLoginBusy(busy) {
  el.loginSubmit.disabled = busy;
  el.loginForm.setAttribute('aria-busy', busy ? 'true' : 'false');
}

export function setConnectionLost(lost) {
  el.connBadge.hidden = !lost;
}

/** Builds the keypad buttons 1–9, *, 0, #; onDigit(d) is called on click. */
export function buildKeypad(onDigit) {
  for (const d of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.textContent = d;
    b.addEventListener('click', () => onDigit(d));
    el.keypad.append(b);
  }
}

export function setKeypadOpen(open) {
  el.keypad.hidden = !open;
  el.keypadToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
}

/** Status line: kind '' (progress), 'failed' (red) or 'ended' (grey). */
export function setStatus(text, kind = '', reason = '') {
  el.status.textContent = text || '';
  el.status.classList.toggle('failed', kind === 'failed');
  el.status.classList.toggle('ended', kind === 'ended');
  if (reason) {
    el.status.dataset.reason = reason;
  } else {
    delete el.status.dataset.reason;
  }
}

/** Formats a duration as m:ss (h:mm:ss past an hour). */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

let timerHandle = null;

/** Shows the call timer counting from `startMs` (local clock). */
export function startTimer(startMs) {
  stopTimer();
  const tick = () => { el.timer.textContent = formatDuration(Date.now() - startMs); };
  tick();
  el.timer.hidden = false;
  timerHandle = setInterval(tick, 250);
}

export function stopTimer() {
  clearInterval(timerHandle);
  timerHandle = null;
  el.timer.hidden = true;
  el.timer.textContent = '0:00';
}

/** Switches the phone card between idle (call buttons) and in-call (controls). */
export function setInCall(inCall, { video = false } = {}) {
  el.callButtons.hidden = inCall;
  el.hint.hidden = inCall;
  el.callControls.hidden = !inCall;
  el.stopVideo.hidden = !(inCall && video);
  if (!inCall) {
    for (const b of [el.muteMic, el.muteSound, el.stopVideo, el.hold]) setPressed(b, false);
    setCallFeatures({});
    setCallList([], null);
    setTransferBar(null);
  }
}

/**
 * The 1:1 call features of the shown call: Hold (pressed while this tab
 * holds), Transfer, and Switch call when there is a second call. Hold and
 * Transfer never show in conferences (F24).
 */
export function setCallFeatures({ hold = false, held = false, transfer = false, switchable = false }) {
  el.hold.hidden = !hold;
  setPressed(el.hold, hold && held);
  el.hold.title = held ? 'Resume' : 'Hold';
  el.transfer.hidden = !transfer;
  el.switchCall.hidden = !switchable;
}

/**
 * Lists the tab's calls when there are two: [{key, label, state, active,
 * canResume}]; onResume(key) switches to a held one.
 */
export function setCallList(calls, onResume) {
  el.callList.replaceChildren();
  el.callList.hidden = calls.length < 2;
  if (calls.length < 2) return;
  for (const c of calls) {
    const li = document.createElement('li');
    li.className = 'call-item';
    li.classList.toggle('active', c.active);
    li.dataset.state = c.state;
    const who = document.createElement('span');
    who.className = 'call-item-peer';
    who.textContent = c.label;
    const what = document.createElement('span');
    what.className = 'call-item-state';
    what.textContent = c.state;
    li.append(who, what);
    if (c.canResume) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn btn-small call-item-resume';
      b.textContent = 'Resume';
      b.addEventListener('click', () => onResume(c.key));
      li.append(b);
    }
    el.callList.append(li);
  }
}

/** The attended-transfer bar: {text, canComplete}, or null to hide it. */
export function setTransferBar(bar) {
  el.transferBar.hidden = !bar;
  if (!bar) return;
  el.transferBarText.textContent = bar.text;
  el.completeTransfer.disabled = !bar.canComplete;
  el.completeTransfer.title = bar.canComplete ? 'Connect the two parties and leave' : 'Wait until the call is answered';
}

const NOTICE_MS = 4000;
let noticeTimer = null;
let dtmfKeys = '';

/** Shows a short message under the status line for a few seconds. */
export function notice(text) {
  dtmfKeys = '';
  showNotice(text);
}

/** Shows a key the other party pressed; consecutive keys add up ("DTMF 123#"). */
export function showDTMF(key) {
  dtmfKeys += key;
  showNotice(`DTMF ${dtmfKeys}`, 'dtmf');
}

function showNotice(text, kind = '') {
  clearTimeout(noticeTimer);
  el.notice.textContent = text;
  el.notice.dataset.kind = kind;
  el.notice.hidden = false;
  noticeTimer = setTimeout(clearNotice, NOTICE_MS);
}

export function clearNotice() {
  clearTimeout(noticeTimer);
  noticeTimer = null;
  dtmfKeys = '';
  el.notice.hidden = true;
  el.notice.textContent = '';
}

export function setPressed(button, pressed) {
  button.setAttribute('aria-pressed', pressed ? 'true' : 'false');
}

export function isPressed(button) {
  return button.getAttribute('aria-pressed') === 'true';
}

/** Initials or digits for the avatar of an audio call. */
function avatarText(peer, peerName) {
  if (peerName) {
    const parts = peerName.trim().split(/\s+/).slice(0, 2);
    return parts.map((p) => p[0].toUpperCase()).join('');
  }
  return peer || '';
}

/**
 * Shows or hides the media area. `video` = this leg sends and receives video;
 * otherwise a coloured panel with the peer's initials is shown.
 */
export function setMedia({ visible, video = false, peer = '', peerName = '' }) {
  el.media.hidden = !visible;
  el.media.classList.toggle('audio-only', !video);
  el.phoneCard.classList.toggle('in-video', visible && video);
  el.peerAvatar.textContent = avatarText(peer, peerName);
  if (!visible) {
    el.media.classList.remove('no-remote-video', 'local-off');
    el.remoteVideo.srcObject = null;
    el.localVideo.srcObject = null;
    el.remoteAudio.srcObject = null;
  }
}

/**
 * Switches the card to the conference layout (stage of tiles instead of the
 * 1:1 media area) or back. Leaves the remote audio element playing.
 */
export function setConferenceLayout(on) {
  el.phoneCard.classList.toggle('in-conference', on);
  if (on) {
    el.media.hidden = true;
    el.phoneCard.classList.remove('in-video');
    el.remoteVideo.srcObject = null;
    el.localVideo.srcObject = null;
  }
}

/** Marks whether remote video frames are arriving (else the avatar shows). */
export function setRemoteVideoActive(active) {
  el.media.classList.toggle('no-remote-video', !active);
}

export function setLocalVideoOff(off) {
  el.media.classList.toggle('local-off', off);
}

/** Plays a media element, ignoring autoplay refusals (the user can still unmute later). */
export function play(media) {
  const p = media.play();
  if (p && p.catch) p.catch(() => {});
}

/** Enables or disables the Video call button; `why` becomes its tooltip. */
export function setCameraAvailable(available, why) {
  el.videoCall.disabled = !available;
  el.videoCall.title = available ? 'Video call' : why;
  // Tooltips of disabled buttons are easy to miss: say it in the hint too.
  el.hint.textContent = available
    ? 'Enter starts an audio call, Shift+Enter a video call.'
    : 'Enter starts an audio call. No camera found, so video calls are off.';
}

export function setCallingAvailable(available, why) {
  el.audioCall.disabled = !available;
  el.audioCall.title = available ? 'Audio call' : why;
  if (!available) setCameraAvailable(false, why);
}

/**
 * Opens the incoming-call dialog. The Accept Video button exists only when the
 * caller made a video call and this browser has a camera (F14).
 */
export function showIncoming({ from, fromName, video, canVideo }) {
  el.incomingTitle.textContent = video ? 'Incoming video call' : 'Incoming call';
  el.incomingName.textContent = fromName || '';
  el.incomingNumber.textContent = from || '';
  setAcceptVideo(video && canVideo);
  const wasOpen = !el.incomingBackdrop.hidden;
  el.incomingBackdrop.hidden = false;
  if (!wasOpen) el.acceptAudio.focus();
}

/** Adds or removes the Accept Video button from the DOM. */
function setAcceptVideo(show) {
  if (show && !el.acceptVideo.isConnected) {
    el.acceptAudio.after(el.acceptVideo);
  } else if (!show && el.acceptVideo.isConnected) {
    el.acceptVideo.remove();
  }
}

export function hideIncoming() {
  const wasOpen = !el.incomingBackdrop.hidden;
  el.incomingBackdrop.hidden = true;
  if (wasOpen && el.incoming.contains(document.activeElement)) el.number.focus();
}
