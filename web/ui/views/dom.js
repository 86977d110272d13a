// DOM helpers of the views: the page's elements by role, and setters that
// touch the DOM only when the value differs (views render often).

import { t, tn } from '../i18n.js';

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
  mediaNote: $('media-note'),
  incomingBackdrop: $('incoming-backdrop'),
  incoming: $('incoming'),
  incomingTitle: $('incoming-title'),
  incomingName: $('incoming-name'),
  incomingNumber: $('incoming-number'),
  acceptAudio: $('accept-audio'),
  acceptVideo: $('accept-video'),
  decline: $('decline'),
  transferBackdrop: $('transfer-backdrop'),
  transferForm: $('transfer-form'),
  transferText: $('transfer-text'),
  transferInput: $('transfer-input'),
  transferError: $('transfer-error'),
  transferNow: $('transfer-now'),
  transferConsult: $('transfer-consult'),
  transferCancel: $('transfer-cancel'),
  pinBackdrop: $('pin-backdrop'),
  pinForm: $('pin-form'),
  pinText: $('pin-text'),
  pinInput: $('pin-input'),
  pinError: $('pin-error'),
  pinCancel: $('pin-cancel'),
  loginLang: $('login-lang'),
  dnd: $('dnd'),
  settingsOpen: $('settings-open'),
  dismissStatus: $('dismiss-status'),
  callDetail: $('call-detail'),
  cameraOff: $('camera-off'),
  missedNotice: $('missed-notice'),
  missedText: $('missed-text'),
  missedCallBack: $('missed-call-back'),
  keysSent: $('keys-sent'),
  tabRecent: $('tab-recent'),
  tabDirectory: $('tab-directory'),
  recentBadge: $('recent-badge'),
  panelRecent: $('panel-recent'),
  panelDirectory: $('panel-directory'),
  recentList: $('recent-list'),
  recentEmpty: $('recent-empty'),
  directorySearch: $('directory-search'),
  directoryList: $('directory-list'),
  directoryEmpty: $('directory-empty'),
  settingsBackdrop: $('settings-backdrop'),
  settingsForm: $('settings-form'),
  settingsMic: $('settings-mic'),
  micLevel: $('mic-level'),
  settingsCamera: $('settings-camera'),
  speakerField: $('speaker-field'),
  settingsSpeaker: $('settings-speaker'),
  settingsLang: $('settings-lang'),
};

/** Sets an element's text when it differs. */
export function setText(node, text) {
  const s = text == null ? '' : String(text);
  if (node.textContent !== s) node.textContent = s;
}

/** Shows (true) or hides an element. */
export function show(node, visible) {
  if (node.hidden === !!visible) node.hidden = !visible;
}

/** Sets or removes an attribute when it differs (null/undefined removes). */
export function setAttr(node, name, value) {
  if (value === null || value === undefined) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
    return;
  }
  const s = String(value);
  if (node.getAttribute(name) !== s) node.setAttribute(name, s);
}

export function setPressed(button, pressed) {
  setAttr(button, 'aria-pressed', pressed ? 'true' : 'false');
}

export function setDisabled(node, disabled) {
  if (node.disabled !== !!disabled) node.disabled = !!disabled;
}

/** A text object of the state ({key, params} or {text}) in the current language. */
export function textOf(msg) {
  if (!msg) return '';
  if (typeof msg === 'string') return msg;
  if (msg.text !== undefined) return msg.text;
  const params = {};
  for (const [k, v] of Object.entries(msg.params || {})) params[k] = v && typeof v === 'object' ? textOf(v) : v;
  return msg.n !== undefined ? tn(msg.key, msg.n, params) : t(msg.key, params);
}

/** Plays a media element, ignoring refusals other than the autoplay policy's. */
export function play(media, onBlocked) {
  const p = media.play();
  if (!p || !p.catch) return;
  p.catch((err) => {
    if (err && err.name === 'NotAllowedError' && onBlocked) onBlocked(media);
  });
}

/** Sets a media element's stream when it is a different one. */
export function setStream(media, stream) {
  if (media.srcObject !== stream) media.srcObject = stream || null;
}

/** Makes element n a node with tag and class, and text when given. */
export function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/**
 * Applies the static texts of the page in the current language: elements
 * with data-i18n get their text, data-i18n-aria-label, -title and
 * -placeholder their attribute.
 */
export function applyStaticTexts(root = document) {
  for (const n of root.querySelectorAll('[data-i18n]')) setText(n, t(n.dataset.i18n));
  for (const [data, attr] of [['i18nAriaLabel', 'aria-label'], ['i18nTitle', 'title'], ['i18nPlaceholder', 'placeholder']]) {
    const sel = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const n of root.querySelectorAll(sel)) setAttr(n, attr, t(n.dataset[data]));
  }
}
