// The media of each call: local capture, its call leg (call.js), and the
// received tracks. Tracks are kept on the call, so switching the shown call
// (call waiting) can attach that call's audio and video again.

import { CallLeg, getLocalMedia, mediaErrorText } from './call.js';
import * as ui from './ui.js';
import { state } from './state.js';
import { hangupCall } from './ending.js';
import { onMediaUp } from './mediawatch.js';
import { onIceState } from './resume.js';

const { el } = ui;

/**
 * Captures media and builds the offer for `call`. Returns the SDP, or null
 * when the call ended meanwhile or media failed (then the call is ended).
 */
export async function prepareLeg(call) {
  let stream;
  try {
    stream = await getLocalMedia(call.video);
  } catch (err) {
    console.warn('xphone: getUserMedia failed', err);
    if (!call.ended) hangupCall(call, 'error', mediaErrorText(err, call.video));
    return null;
  }
  if (call.ended) {
    for (const t of stream.getTracks()) t.stop();
    return null;
  }
  const leg = new CallLeg({
    stream,
    video: call.video,
    onTrack: (track, mid) => onRemoteTrack(call, track, mid),
    onConnectionState: (s) => onLegState(call, s),
  });
  leg.pc.addEventListener('iceconnectionstatechange', () => onIceState(call));
  call.leg = leg;
  leg.setMicMuted(call.micMuted);
  leg.setVideoStopped(call.videoStopped);
  if (call.video && state.call === call) {
    el.localVideo.srcObject = stream;
    ui.play(el.localVideo);
  }
  try {
    const sdp = await leg.createOffer();
    return call.ended ? null : sdp;
  } catch (err) {
    console.error('xphone: cannot create the offer', err);
    if (!call.ended) hangupCall(call, 'error', 'Cannot start the call');
    return null;
  }
}

/** A received track: kept on the call, and attached when that call is shown. */
function onRemoteTrack(call, track, mid) {
  if (call.ended) return;
  if (track.kind === 'audio') {
    call.audioTrack = track;
    if (state.call === call) attachRemoteAudio(call);
    return;
  }
  call.videoTracks.set(mid || `#${call.videoTracks.size}`, track);
  if (call.conf) {
    call.conf.addVideoTrack(mid, track);
    return;
  }
  if (call.videoTracks.size > 1) return; // a 1:1 call shows the first video
  if (state.call === call) attachRemoteVideo(call);
}

/** Plays the shown call's received audio in the remote audio element. */
export function attachRemoteAudio(call) {
  const track = call.audioTrack;
  if (!track) {
    el.remoteAudio.srcObject = null;
    return;
  }
  const cur = el.remoteAudio.srcObject;
  if (cur && cur.getAudioTracks().includes(track)) return; // renegotiation: same track
  el.remoteAudio.srcObject = new MediaStream([track]);
  el.remoteAudio.muted = ui.isPressed(el.muteSound);
  ui.play(el.remoteAudio);
}

/** Shows the first received video of the shown 1:1 call. */
export function attachRemoteVideo(call) {
  if (call.conf) return;
  const [track] = call.videoTracks.values();
  if (!track) {
    el.remoteVideo.srcObject = null;
    ui.setRemoteVideoActive(false);
    return;
  }
  const cur = el.remoteVideo.srcObject;
  if (!cur || !cur.getVideoTracks().includes(track)) {
    el.remoteVideo.srcObject = new MediaStream([track]);
    ui.play(el.remoteVideo);
  }
  // A remote track is "muted" until RTP arrives: show the avatar until then.
  const update = () => { if (state.call === call && !call.conf) ui.setRemoteVideoActive(!track.muted); };
  if (!call.videoWatched) {
    call.videoWatched = true;
    track.addEventListener('mute', update);
    track.addEventListener('unmute', update);
  }
  update();
}

/**
 * The call leg's connection state: connecting flushes queued DTMF. A
 * failure before the call ever had media ends it; a failure later is
 * repaired by an ICE restart (resume.js), which gives up in the end.
 */
function onLegState(call, connectionState) {
  if (call.ended) return;
  if (connectionState === 'connected') {
    call.hadMedia = true;
    call.leg.flushDTMF();
    onMediaUp(call);
  }
  if (connectionState === 'failed' && !call.hadMedia) hangupCall(call, 'media_failed', '');
}
