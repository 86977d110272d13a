package e2e

import (
	"os"
	"testing"
	"time"
)

func TestScratchFirefox(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "ff", inFirefox(), withTone(440, -12), withRawAudio())
	b := newBrowser(t, "cr")
	a.login(srv, "1001")
	b.login(srv, "1002")
	var out any
	a.eval(`(async () => { const ac = new AudioContext(); const s0 = ac.state; ac.resume().catch(e => 0); const t0 = ac.currentTime; await new Promise(r => setTimeout(r, 500)); return {s0, state: ac.state, t0, t1: ac.currentTime, sr: ac.sampleRate}; })()`, &out)
	t.Logf("audiocontext: %v", out)
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)
	time.Sleep(2 * time.Second)
	b.eval(`(async () => { const out = []; (await window.xphone.pc().getStats()).forEach((s) => { if (s.type === 'inbound-rtp') out.push({kind: s.kind, level: s.audioLevel, energy: s.totalAudioEnergy, packets: s.packetsReceived}); }); return out; })()`, &out)
	t.Logf("chromium inbound: %v", out)
	a.eval(`(async () => { const out = []; (await window.xphone.pc().getStats()).forEach((s) => { if (s.type === 'outbound-rtp' || s.type === 'media-source') out.push(s); }); return {stats: out, senders: window.xphone.pc().getSenders().map((s) => s.track && (s.track.label + ' ' + s.track.readyState + ' ' + s.track.enabled))}; })()`, &out)
	t.Logf("firefox outbound: %v", out)
}
