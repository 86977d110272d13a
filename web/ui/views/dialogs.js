// The dialogs: the incoming call (F13, F14), Transfer (F19) and the PIN of
// a protected room. Each opens when its part of the state appears (taking
// focus, with an empty field) and closes when it goes (giving focus back).

import { t } from '../i18n.js';
import { peerLabel } from '../model.js';
import {
  el, setAttr, setDisabled, setText, show, textOf,
} from './dom.js';

let incomingOpen = false;
let transferOpen = false;
let pinOpen = false;

/** Gives focus back to the Number field when it was inside a closing dialog. */
function returnFocus(dialog) {
  if (dialog.contains(document.activeElement)) el.number.focus();
}

/** Adds or removes the Accept Video button (it exists only for video calls with a camera). */
function setAcceptVideo(on) {
  if (on && !el.acceptVideo.isConnected) {
    el.acceptVideo.hidden = false;
    el.acceptAudio.after(el.acceptVideo);
  } else if (!on && el.acceptVideo.isConnected) {
    el.acceptVideo.remove();
  }
}

function renderIncoming(s) {
  const inc = s.incoming;
  show(el.incomingBackdrop, !!inc);
  if (!inc) {
    if (incomingOpen) returnFocus(el.incoming);
    incomingOpen = false;
    return;
  }
  setText(el.incomingTitle, t(inc.video ? 'incoming.title_video' : 'incoming.title'));
  setText(el.incomingName, inc.fromName);
  setText(el.incomingNumber, inc.by
    ? t('incoming.number_transferred', { number: inc.from, by: peerLabel({ peer: inc.by, peerName: inc.byName }) })
    : inc.from);
  // Accept Video spends most of its life out of the page, away from the
  // static texts: it gets its text here.
  setText(el.acceptVideo, t('incoming.accept_video'));
  setAcceptVideo(inc.video && s.camera);
  if (!incomingOpen) el.acceptAudio.focus();
  incomingOpen = true;
}

function renderTransfer(s) {
  const d = s.transfer;
  show(el.transferBackdrop, !!d);
  if (!d) {
    if (transferOpen) {
      el.transferInput.value = '';
      returnFocus(el.transferForm);
    }
    transferOpen = false;
    return;
  }
  setText(el.transferText, t('transfer.text', { peer: peerLabel(d.call) }));
  const canConsult = s.calls.length < 2;
  setDisabled(el.transferConsult, !canConsult);
  setAttr(el.transferConsult, 'title', t(canConsult ? 'transfer.consult_hint' : 'transfer.consult_busy'));
  setText(el.transferError, textOf(d.error));
  setAttr(el.transferInput, 'aria-invalid', d.error ? 'true' : 'false');
  if (!transferOpen) {
    el.transferInput.value = '';
    el.transferInput.focus();
  }
  transferOpen = true;
}

function renderPin(s) {
  const p = s.pin;
  show(el.pinBackdrop, !!p);
  if (!p) {
    if (pinOpen) el.pinInput.value = '';
    pinOpen = false;
    return;
  }
  setText(el.pinText, t('pin.text', { number: p.number }));
  setText(el.pinError, p.error ? textOf(p.error) : (p.wrong ? t('pin.wrong') : ''));
  setAttr(el.pinInput, 'aria-invalid', p.wrong || p.error ? 'true' : 'false');
  if (!pinOpen) {
    el.pinInput.value = '';
    el.pinInput.focus();
  }
  pinOpen = true;
}

export function renderDialogs(s) {
  renderIncoming(s);
  renderTransfer(s);
  renderPin(s);
}
