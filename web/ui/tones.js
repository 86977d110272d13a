// Ring and ringback tones generated with WebAudio (no audio files).
// Browsers only allow sound after a user gesture; unlock() is called on the
// first click/key press so an incoming call can ring later. If sound is not
// allowed the tones stay silent and the visual popup still shows the call.

let ctx = null;
let current = null; // {stop()}

function context() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try { ctx = new AC(); } catch { return null; }
  }
  return ctx;
}

/** Resumes the AudioContext; call from a user gesture. */
export function unlock() {
  const c = context();
  if (c && c.state === 'suspended') c.resume().catch(() => {});
}

/**
 * Plays `freqs` (mixed) in a cadence: `pattern` is [on, off, on, off, …] in
 * seconds, repeated until stop().
 */
function cadence(freqs, pattern, volume) {
  stop();
  const c = context();
  if (!c) return;
  if (c.state === 'suspended') c.resume().catch(() => {});
  const gain = c.createGain();
  gain.gain.value = 0;
  gain.connect(c.destination);
  const oscs = freqs.map((f) => {
    const o = c.createOscillator();
    o.type = 'sine';
    o.frequency.value = f;
    o.connect(gain);
    o.start();
    return o;
  });
  const period = pattern.reduce((a, b) => a + b, 0);
  let next = c.currentTime + 0.05;
  // Schedule the envelope a few periods ahead; refill before it runs out.
  const schedule = () => {
    while (next < c.currentTime + 2 * period) {
      let t = next;
      for (let i = 0; i < pattern.length; i += 1) {
        if (i % 2 === 0) {
          gain.gain.setTargetAtTime(volume, t, 0.01);
        } else {
          gain.gain.setTargetAtTime(0, t, 0.01);
        }
        t += pattern[i];
      }
      next = t;
    }
  };
  schedule();
  const timer = setInterval(schedule, period * 1000);
  current = {
    stop() {
      clearInterval(timer);
      gain.gain.cancelScheduledValues(c.currentTime);
      gain.gain.setTargetAtTime(0, c.currentTime, 0.01);
      const end = c.currentTime + 0.1;
      for (const o of oscs) { try { o.stop(end); } catch { /* stopped */ } }
      setTimeout(() => gain.disconnect(), 200);
    },
  };
}

/** Incoming call: two short 440+480 Hz bursts, then a 2 s pause. */
export function ring() {
  cadence([440, 480], [0.4, 0.2, 0.4, 2.0], 0.12);
}

/** Outgoing call is ringing at the far end: 425 Hz, 1 s on 4 s off. */
export function ringback() {
  cadence([425], [1.0, 4.0], 0.06);
}

/**
 * Another call comes in during a call: two short, quiet 440 Hz beeps every
 * few seconds, over the current call's sound.
 */
export function callWaiting() {
  cadence([440], [0.15, 0.15, 0.15, 4.5], 0.05);
}

/** Stops whatever tone is playing. */
export function stop() {
  if (current) {
    current.stop();
    current = null;
  }
}
