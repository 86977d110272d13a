// Capturing a screen and putting it on a call (docs/signaling.md,
// "Meetings"). In a room the server offers one video m-line it only
// receives on (a=recvonly): the screen's transceiver, sendonly from here.
// In a 1:1 call the screen replaces the camera on the video sender.

/** Bitrate cap of a shared screen: sharp text at a low frame rate. */
const SCREEN_MAX_BITRATE = 2500000;

/** Asks the user for a screen; the track's content hint keeps text sharp. */
export async function captureScreen() {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  const [track] = stream.getVideoTracks();
  if (!track) throw new Error('no screen track');
  if ('contentHint' in track) track.contentHint = 'detail';
  return { stream, track };
}

/** The mids of the m-sections an SDP marks a=recvonly. */
export function recvonlyMids(sdp) {
  const mids = [];
  for (const section of String(sdp).split(/\r?\nm=/).slice(1)) {
    const mid = /\r?\na=mid:(\S+)/.exec(section);
    if (mid && /\r?\na=recvonly(\r?\n|$)/.test(section) && section.startsWith('video')) mids.push(mid[1]);
  }
  return mids;
}

/**
 * Before answering a server offer: makes the screen transceiver (the
 * video m-line the server receives on) sendonly, carrying track (or
 * nothing yet). Returns its sender, or null when the offer has none.
 */
export async function takeScreenSlot(pc, offerSdp, track) {
  const mids = recvonlyMids(offerSdp);
  if (!mids.length) return null;
  const tr = pc.getTransceivers().find((t) => mids.includes(t.mid));
  if (!tr) return null;
  tr.direction = 'sendonly';
  await tr.sender.replaceTrack(track || null);
  return tr.sender;
}

/**
 * Caps a screen sender's bitrate and keeps its resolution under congestion.
 * Two steps: a browser that refuses degradationPreference (Firefox ESR)
 * still gets the cap.
 */
export async function tuneScreenSender(sender) {
  const set = async (change) => {
    const p = sender.getParameters();
    if (!p.encodings || !p.encodings.length) p.encodings = [{}];
    change(p);
    await sender.setParameters(p);
  };
  try {
    await set((p) => { p.encodings[0].maxBitrate = SCREEN_MAX_BITRATE; });
  } catch (err) {
    console.warn('xphone: cannot cap the screen sender', err);
  }
  try {
    await set((p) => { p.degradationPreference = 'maintain-resolution'; });
  } catch (err) {
    // Optional: without it the browser may lower the resolution under congestion.
  }
}

/** The sender of the call leg's camera (1:1 calls), or null. */
export function cameraSender(pc) {
  return pc.getSenders().find((s) => s.track && s.track.kind === 'video') || null;
}
