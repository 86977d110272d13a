// The media of each call: local capture, its call leg (call.js), and the
// received tracks, kept on the call so switching the shown call (call
// waiting) shows that call's audio and video.

import { CallLeg, getLocalMedia, mediaErrorKey } from './call.js';
import { commit, state } from './store.js';
import { hangupCall } from './model.js';
import { onIceState } from './resume.js';
import { onMediaUp } from './mediawatch.js';

/**
 * Captures media and builds the offer for `call`. Returns the SDP, or null
 * when the call ended meanwhile or media failed (then the call is ended).
 */
export async function prepareLeg(call) {
  let stream;
  try {
    stream = await getLocalMedia(call.video, state.devices);
  } catch (err) {
    console.warn('xphone: getUserMedia failed', err);
    if (!call.ended) hangupCall(call, 'error', { key: mediaErrorKey(err, call.video) });
    return null;
  }
  if (call.ended) {
    for (const tr of stream.getTracks()) tr.stop();
    return null;
  }
  const leg = new CallLeg({
    stream,
    video: call.video,
    onTrack: (track, mid) => { onRemoteTrack(call, track, mid); commit(); },
    onConnectionState: (s) => { onLegState(call, s); commit(); },
  });
  leg.pc.addEventListener('iceconnectionstatechange', () => { onIceState(call); commit(); });
  call.leg = leg;
  leg.setMicMuted(call.micMuted);
  leg.setVideoStopped(call.videoStopped);
  commit();
  try {
    const sdp = await leg.createOffer();
    return call.ended ? null : sdp;
  } catch (err) {
    console.error('xphone: cannot create the offer', err);
    if (!call.ended) hangupCall(call, 'error', { key: 'error.start_call' });
    return null;
  }
}

/** A received track: kept on the call; the views attach the shown call's. */
function onRemoteTrack(call, track, mid) {
  if (call.ended) return;
  if (track.kind === 'audio') {
    call.audioTrack = track;
    return;
  }
  call.videoTracks.set(mid || `#${call.videoTracks.size}`, track);
  // A remote track is "muted" until RTP arrives (and while the far camera
  // is off): views show the avatar then.
  const update = () => { commit(); };
  track.addEventListener('mute', update);
  track.addEventListener('unmute', update);
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
  if (connectionState === 'failed' && !call.hadMedia) hangupCall(call, 'media_failed');
}

/** The first received video track of a 1:1 call (null when none). */
export function remoteVideoTrack(call) {
  if (!call || call.conf) return null;
  const [track] = call.videoTracks.values();
  return track || null;
}
