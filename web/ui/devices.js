// Devices (Settings): which microphone, camera and speaker this browser
// uses, remembered in localStorage; the microphone's live level while the
// Settings dialog is open; and switching devices during a call, which
// replaces the sent track (RTCRtpSender.replaceTrack) without any
// renegotiation.

import { commit, state } from './store.js';
import { audioConstraints, videoConstraints } from './call.js';

const PREFS_KEY = 'xphone.devices';

/** Loads the remembered choices. */
export function loadPrefs() {
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) || '{}');
    for (const k of ['mic', 'camera', 'speaker']) {
      if (typeof p[k] === 'string') state.devices[k] = p[k];
    }
  } catch { /* storage disabled or garbled: the defaults */ }
  state.devices.speakerSupported = typeof HTMLMediaElement !== 'undefined' &&
    'setSinkId' in HTMLMediaElement.prototype;
}

function savePrefs() {
  const { mic, camera, speaker } = state.devices;
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify({ mic, camera, speaker }));
  } catch { /* storage disabled: the choice lasts this page */ }
}

/** Reads the browser's devices (labels appear once the user allowed capture). */
export async function refreshDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  let list = [];
  try {
    list = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const of = (kind) => list.filter((d) => d.kind === kind && d.deviceId)
    .map((d, i) => ({ id: d.deviceId, label: d.label || '', n: i + 1 }));
  state.devices.mics = of('audioinput');
  state.devices.cameras = of('videoinput');
  state.devices.speakers = of('audiooutput');
  state.camera = state.devices.cameras.length > 0 || list.some((d) => d.kind === 'videoinput');
}

// ---------------------------------------------------------------- level meter

let meter = null; // {stream (own, or null when measuring a call's track), ctx, timer}

/** Measures the microphone in use: the shown call's, else a capture of the chosen one. */
async function startMeter() {
  stopMeter();
  const mine = { stream: null, ctx: null, timer: null };
  meter = mine;
  let track = state.shown && state.shown.leg ? state.shown.leg.stream.getAudioTracks()[0] : null;
  if (!track) {
    try {
      mine.stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(state.devices.mic) });
    } catch (err) {
      console.warn('xphone: no microphone for the level meter', err);
      return;
    }
    if (meter !== mine) { // closed meanwhile
      for (const tr of mine.stream.getTracks()) tr.stop();
      return;
    }
    [track] = mine.stream.getAudioTracks();
    await refreshDevices(); // capture allowed: the labels are there now
  }
  const AC = window.AudioContext || window.webkitAudioContext;
  mine.ctx = new AC();
  const analyser = mine.ctx.createAnalyser();
  analyser.fftSize = 1024;
  mine.ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  if (mine.ctx.state === 'suspended') mine.ctx.resume().catch(() => {});
  const samples = new Float32Array(analyser.fftSize);
  mine.timer = setInterval(() => {
    if (track.readyState === 'ended') {
      // The call whose microphone this measured ended: measure the chosen one.
      if (meter === mine && state.settings) startMeter().then(commit);
      return;
    }
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    const rms = Math.sqrt(sum / samples.length);
    // −60 dBFS … 0 dBFS → 0 … 100.
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    state.devices.level = Math.round(Math.max(0, Math.min(100, (db + 60) * (100 / 60))));
    commit();
  }, 100);
  commit();
}

function stopMeter() {
  const m = meter;
  meter = null;
  state.devices.level = 0;
  if (!m) return;
  clearInterval(m.timer);
  if (m.ctx) m.ctx.close().catch(() => {});
  if (m.stream) for (const tr of m.stream.getTracks()) tr.stop();
}

// ---------------------------------------------------------------- Settings

/** Settings: opens the dialog, reads the devices and starts the meter. */
export async function openSettings() {
  state.settings = true;
  await refreshDevices();
  await startMeter();
}

/** Closes the dialog and stops the meter. */
export function closeSettings() {
  if (!state.settings) return;
  state.settings = false;
  state.focus = 'settings-button';
  stopMeter();
}

/** Microphone: remembered, and every call's microphone replaced at once. */
export async function chooseMic(id) {
  state.devices.mic = id;
  savePrefs();
  for (const call of state.calls) {
    if (!call.leg) continue;
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(id, true) });
      await call.leg.replaceTrack(s.getAudioTracks()[0]);
    } catch (err) {
      console.warn('xphone: cannot switch the microphone', err);
    }
  }
  if (state.settings) await startMeter();
}

/** Camera: remembered, and the camera of every video call replaced. */
export async function chooseCamera(id) {
  state.devices.camera = id;
  savePrefs();
  for (const call of state.calls) {
    if (!call.leg || !call.video || !call.leg.videoSender) continue;
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(id, true) });
      await call.leg.replaceTrack(s.getVideoTracks()[0]);
    } catch (err) {
      console.warn('xphone: cannot switch the camera', err);
    }
  }
}

/** Speaker: remembered; the views play received sound on it. */
export function chooseSpeaker(id) {
  state.devices.speaker = id;
  savePrefs();
}
