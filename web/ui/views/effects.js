// What follows from the state besides pixels: the tone that plays (ring,
// call waiting, ringback) and where keyboard focus goes after a change.
// Rendered last, after every view has drawn.

import * as tones from '../tones.js';
import { el } from './dom.js';

let tone = null;

/** The tone the state asks for. */
function toneOf(s) {
  if (s.incoming) return s.calls.length ? 'waiting' : 'ring';
  if (s.shown && s.shown.state === 'ringing') return 'ringback';
  return null;
}

function renderTone(s) {
  const want = toneOf(s);
  if (want === tone) return;
  tone = want;
  switch (want) {
    case 'ring': tones.ring(); break;
    case 'waiting': tones.callWaiting(); break;
    case 'ringback': tones.ringback(); break;
    default: tones.stop(); break;
  }
}

/** Carries out a focus request of the last actions (state.focus). */
function renderFocus(s) {
  const active = document.activeElement;
  switch (s.focus) {
    case 'number':
      el.number.focus();
      break;
    case 'number-if-lost':
      // The focused control (e.g. Hang up) just disappeared: move focus somewhere useful.
      if (!s.incoming && (!active || active === document.body || el.callControls.contains(active) || el.callButtons.contains(active))) {
        el.number.focus();
      }
      break;
    case 'hangup-if-call-button':
      // Keep focus in the Number field (typing goes on there during a call);
      // only when the pressed call button just disappeared, move it to Hang up.
      if (active && el.callButtons.contains(active)) el.hangup.focus();
      break;
    case 'settings-button':
      el.settingsOpen.focus();
      break;
    case 'login':
      (el.loginExt.value ? el.loginPassword : el.loginExt).focus();
      break;
    case 'extension':
      el.loginExt.focus();
      break;
    case 'password':
      el.loginPassword.focus();
      break;
    case 'password-select':
      el.loginPassword.focus();
      el.loginPassword.select();
      break;
    default:
      break;
  }
}

export function renderEffects(s) {
  renderTone(s);
  renderFocus(s);
}
