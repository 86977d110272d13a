// Media liveness of a connected call. The call timer runs only once the
// call's media connection (ICE/DTLS to the server) is up, and a call whose
// media never comes up ends with reason no_media after NO_MEDIA_MS,
// instead of showing "Connected" and a running timer over silence (e.g. a
// server that advertises an address this browser cannot reach).

import { commit } from './store.js';
import { hangupCall } from './model.js';

/** How long a connected call may wait for its media before it ends. */
const NO_MEDIA_MS = 8000;

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

/** The call is connected: arm the watchdog that ends it if its media never comes up. */
export function watchMedia(call) {
  if (mediaConnected(call) || call.noMediaTimer) return;
  call.noMediaTimer = setTimeout(() => {
    call.noMediaTimer = null;
    if (!call.ended && call.state === 'connected' && !mediaConnected(call)) {
      hangupCall(call, 'no_media');
      commit();
    }
  }, noMediaMs());
}

/** The call's media came up: the watchdog stops (the timer view shows the timer). */
export function onMediaUp(call) {
  clearTimeout(call.noMediaTimer);
  call.noMediaTimer = null;
}
