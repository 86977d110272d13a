// Media liveness of a connected call. The call timer runs only once the
// call's media connection (ICE/DTLS to the server) is up, and a call whose
// media never comes up ends with reason no_media after NO_MEDIA_MS,
// instead of showing "Connected" and a running timer over silence (e.g. a
// server that advertises an address this browser cannot reach).

import * as ui from './ui.js';
import { state } from './state.js';
import { hangupCall } from './ending.js';

/** How long a connected call may wait for its media before it ends. */
const NO_MEDIA_MS = 8000;

const NO_MEDIA_TEXT = 'No audio: the media connection did not come up';

/** NO_MEDIA_MS, or localStorage xphone.noMediaMs (tests shorten it). */
function noMediaMs() {
  try {
    const v = Number(localStorage.getItem('xphone.noMediaMs'));
    return v > 0 ? v : NO_MEDIA_MS;
  } catch {
    return NO_MEDIA_MS; // storage disabled
  }
}

/**
 * Whether the call's media connection is up, or was up once: a call that
 * loses its media later is repaired by an ICE restart (resume.js), and its
 * timer keeps running meanwhile.
 */
export function mediaConnected(call) {
  return !call.leg || call.hadMedia || call.leg.pc.connectionState === 'connected';
}

/**
 * Starts the shown connected call's timer if its media is up; otherwise
 * hides it and arms the watchdog that ends the call without media.
 */
export function startCallTimer(call) {
  if (mediaConnected(call)) {
    ui.startTimer(call.since || Date.now());
    return;
  }
  ui.stopTimer();
  if (call.noMediaTimer) return;
  call.noMediaTimer = setTimeout(() => {
    call.noMediaTimer = null;
    if (!call.ended && call.state === 'connected' && !mediaConnected(call)) {
      hangupCall(call, 'no_media', NO_MEDIA_TEXT);
    }
  }, noMediaMs());
}

/** The call's media came up: the watchdog stops and the timer runs if shown. */
export function onMediaUp(call) {
  clearTimeout(call.noMediaTimer);
  call.noMediaTimer = null;
  if (state.call === call && call.state === 'connected') ui.startTimer(call.since || Date.now());
}
