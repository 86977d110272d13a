// Media for one call leg: local capture and one RTCPeerConnection to the server.
// Media never flows browser to browser; the server forwards RTP between legs.

const ICE_GATHER_TIMEOUT_MS = 2000;

/**
 * The camera is published as three simulcast layers; the server forwards the
 * one each receiver needs (the highest in 1:1 calls, the speaker's high and
 * the thumbnails' low layer in rooms). Chromium makes all three only from a
 * capture of about 1280×720, which getLocalMedia asks for.
 */
const SIMULCAST_LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: 'f', maxBitrate: 1500000 },
];

/**
 * The simulcast layers a capture of this size can carry, or null for one
 * plain layer. Chromium silently sends only the layers its resolution table
 * allows (three from 960×540 up, two from 480×270, one below), and a layer
 * that is negotiated but never sent would leave whoever the server forwards
 * it to without a picture; so small captures publish fewer layers.
 */
export function simulcastLayersFor(settings) {
  const w = Number(settings && settings.width) || 0;
  const h = Number(settings && settings.height) || 0;
  const short = Math.min(w, h);
  if (!short) return SIMULCAST_LAYERS; // size unknown: ask for the full set
  if (short >= 540) return SIMULCAST_LAYERS;
  if (short >= 270) return SIMULCAST_LAYERS.slice(1);
  return null;
}

/** Tone and gap of DTMF key presses (RFC 4733 events sent by RTCDTMFSender), in ms. */
const DTMF_DURATION_MS = 100;
const DTMF_GAP_MS = 70;

/**
 * True when tests or debugging ask for unprocessed microphone audio
 * (`?xphone.rawAudio=1` / `?rawAudio=1` in the URL, or localStorage
 * `xphone.rawAudio` = "1"): echo cancellation, noise suppression and AGC off,
 * so RFC 6464 audio levels follow the input exactly.
 */
export function rawAudioRequested() {
  const params = new URLSearchParams(location.search);
  if (params.get('xphone.rawAudio') === '1' || params.get('rawAudio') === '1') return true;
  try {
    return localStorage.getItem('xphone.rawAudio') === '1';
  } catch {
    return false; // storage disabled
  }
}

/** Reports whether this browser has a camera (a "videoinput" device). */
export async function hasCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return false;
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.some((d) => d.kind === 'videoinput');
  } catch {
    return false;
  }
}

/** Reports whether the browser can do WebRTC calls at all (secure context, APIs present). */
export function webrtcSupported() {
  return typeof RTCPeerConnection === 'function' &&
    !!navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function';
}

/**
 * The microphone's constraints: the chosen device (when there is one; an
 * unplugged one falls back to the default), unprocessed when asked for.
 */
export function audioConstraints(deviceId, exact = false) {
  const audio = rawAudioRequested()
    ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false }
    : {};
  if (deviceId) audio.deviceId = exact ? { exact: deviceId } : { ideal: deviceId };
  return Object.keys(audio).length ? audio : true;
}

/**
 * The camera's constraints: 1280×720 (three simulcast layers), the chosen
 * device (exact when the user just picked it: a browser may keep the camera
 * it has open for a mere preference).
 */
export function videoConstraints(deviceId, exact = false) {
  const video = { width: { ideal: 1280 }, height: { ideal: 720 } };
  if (deviceId) video.deviceId = exact ? { exact: deviceId } : { ideal: deviceId };
  return video;
}

/**
 * Captures the microphone, and the camera at 1280×720 when `video`, from
 * the devices chosen in Settings (devices: {mic, camera}).
 */
export async function getLocalMedia(video, devices = {}) {
  return navigator.mediaDevices.getUserMedia({
    audio: audioConstraints(devices.mic),
    video: video ? videoConstraints(devices.camera) : false,
  });
}

/**
 * The catalogue key of the text for a getUserMedia failure: what went
 * wrong, with the microphone alone or (video) microphone or camera.
 */
export function mediaErrorKey(err, video) {
  const what = video ? 'video' : 'audio';
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `media.denied_${what}`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `media.missing_${what}`;
    case 'NotReadableError':
      return `media.busy_${what}`;
    default:
      return `media.failed_${what}`;
  }
}

/** Resolves when ICE gathering is complete, or after `timeoutMs` (whatever came first). */
function waitIceGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onState);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onState = () => { if (pc.iceGatheringState === 'complete') done(); };
    const onCandidate = (ev) => { if (!ev.candidate) done(); };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onState);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

/**
 * One call leg: the local stream and the PeerConnection to the server.
 * Callbacks: onTrack(track, mid), onConnectionState(state).
 *
 * Signalling for one leg is applied strictly in order: the server's answer
 * to our offer, then any offers the server sends later (conference rooms add
 * video transceivers that way). setAnswer and applyOffer queue behind each
 * other, so an offer that arrives right after the answer waits for it.
 */
export class CallLeg {
  constructor({ stream, video, onTrack = () => {}, onConnectionState = () => {} }) {
    this.stream = stream;
    this.video = video;
    this.closed = false;
    this.queue = Promise.resolve();
    // No iceServers: the server is reachable directly (it may advertise public IPs).
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.pc.addEventListener('track', (ev) => onTrack(ev.track, ev.transceiver ? ev.transceiver.mid : null));
    this.pc.addEventListener('connectionstatechange', () => onConnectionState(this.pc.connectionState));

    this.dtmfWaiting = ''; // keys pressed before the DTMF sender could take them
    this.videoSender = null;
    this.dtmfTimer = null;

    const [audioTrack] = stream.getAudioTracks();
    if (audioTrack) {
      this.audioSender = this.pc.addTransceiver(audioTrack, { direction: 'sendrecv', streams: [stream] }).sender;
    } else {
      this.audioSender = null;
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    if (video) {
      const [videoTrack] = stream.getVideoTracks();
      if (videoTrack) {
        const layers = simulcastLayersFor(videoTrack.getSettings ? videoTrack.getSettings() : null);
        try {
          const init = { direction: 'sendrecv', streams: [stream] };
          if (layers) init.sendEncodings = layers.map((l) => ({ ...l }));
          this.videoSender = this.pc.addTransceiver(videoTrack, init).sender;
        } catch (err) {
          // A browser without simulcast: one layer is fine too.
          console.warn('xphone: simulcast refused, sending one video layer', err);
          this.videoSender = this.pc.addTransceiver(videoTrack, { direction: 'sendrecv', streams: [stream] }).sender;
        }
      } else {
        this.pc.addTransceiver('video', { direction: 'recvonly' });
      }
    }
  }

  /** Creates the offer and returns its SDP once ICE gathering is complete (≤2 s). */
  async createOffer() {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await waitIceGathering(this.pc, ICE_GATHER_TIMEOUT_MS);
    return this.pc.localDescription.sdp;
  }

  /** Runs task after every earlier signalling step of this leg has finished. */
  serialize(task) {
    const run = this.queue.then(() => (this.closed ? null : task()));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Applies the server's answer to our offer. */
  setAnswer(sdp) {
    return this.serialize(() => this.pc.setRemoteDescription({ type: 'answer', sdp }));
  }

  /**
   * Applies a server-initiated offer and returns our answer's SDP (after ICE
   * gathering, ≤2 s), or null when the leg closed meanwhile. beforeAnswer(pc,
   * sdp), when given, runs between applying the offer and answering it. When the offer
   * cannot be applied it rolls back (the current media keeps flowing) and
   * rejects.
   */
  applyOffer(sdp, beforeAnswer = null) {
    return this.serialize(async () => {
      try {
        await this.pc.setRemoteDescription({ type: 'offer', sdp });
        // e.g. a room's screen slot takes the screen being shared (meeting.js)
        if (beforeAnswer) await beforeAnswer(this.pc, sdp);
        const answer = await this.pc.createAnswer();
        if (this.closed) return null;
        await this.pc.setLocalDescription(answer);
      } catch (err) {
        // Keep the media we have: back to the last working description.
        if (!this.closed && this.pc.signalingState === 'have-remote-offer') {
          await this.pc.setRemoteDescription({ type: 'rollback' }).catch(() => {});
        }
        throw err;
      }
      await waitIceGathering(this.pc, ICE_GATHER_TIMEOUT_MS);
      return this.closed ? null : this.pc.localDescription.sdp;
    });
  }

  /**
   * Sends one key (0-9, *, #, A-D) as an RFC 4733 telephone-event (F12).
   * Keys queue behind the ones still playing, so fast typing keeps its order.
   * Returns false when this leg cannot send DTMF.
   */
  sendDTMF(key) {
    const dtmf = this.audioSender && this.audioSender.dtmf;
    if (this.closed || !dtmf) return false;
    this.dtmfWaiting += key;
    this.flushDTMF();
    return true;
  }

  /** Hands waiting keys to the DTMF sender once it can take them (after ICE/DTLS). */
  flushDTMF() {
    const dtmf = this.audioSender && this.audioSender.dtmf;
    if (this.closed || !dtmf || !this.dtmfWaiting) return;
    if (dtmf.canInsertDTMF === false) {
      clearTimeout(this.dtmfTimer);
      this.dtmfTimer = setTimeout(() => this.flushDTMF(), 100);
      return;
    }
    try {
      // insertDTMF replaces the buffer: append to the keys still waiting to play.
      dtmf.insertDTMF(dtmf.toneBuffer + this.dtmfWaiting, DTMF_DURATION_MS, DTMF_GAP_MS);
      this.dtmfWaiting = '';
    } catch (err) {
      console.warn('xphone: cannot send DTMF', err);
      this.dtmfWaiting = '';
    }
  }

  /**
   * Sends track instead of the current one of its kind (another microphone
   * or camera) with RTCRtpSender.replaceTrack: no renegotiation, the far
   * side sees one continuous stream. The old track is stopped; the new one
   * keeps the mute state. Returns false when this leg sends no such kind.
   */
  async replaceTrack(track) {
    const sender = track.kind === 'audio' ? this.audioSender : this.videoSender;
    if (this.closed || !sender) {
      track.stop();
      return false;
    }
    const old = track.kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
    if (old) track.enabled = old.enabled;
    await sender.replaceTrack(track);
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    return true;
  }

  /** Microphone off = the local audio track sends silence (F15). */
  setMicMuted(muted) {
    for (const t of this.stream.getAudioTracks()) t.enabled = !muted;
  }

  /** Local video off = the local video track sends black frames (F17). */
  setVideoStopped(stopped) {
    for (const t of this.stream.getVideoTracks()) t.enabled = !stopped;
  }

  /** Stops capture and closes the PeerConnection. Safe to call twice. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.dtmfTimer);
    for (const t of this.stream.getTracks()) t.stop();
    try { this.pc.close(); } catch { /* already closed */ }
  }
}
