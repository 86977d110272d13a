package siptrunk

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// mediaMode is one row of the media matrix: a trunk configured for it
// and the baresip account that speaks it.
type mediaMode struct {
	name    string
	trunk   configs.Trunk
	user    string // baresip account user (called outbound, calls inbound)
	account string // baresip account parameters
	listen  string // this trunk's SIP address
}

var mediaModes = []mediaMode{
	{"dtls-ice-pcmu", configs.Trunk{Codecs: []string{"pcmu"}}, "0201", "mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu", "127.0.0.1:5061"},
	{"dtls-ice-opus", configs.Trunk{Codecs: []string{"opus"}}, "0202", "mediaenc=dtls_srtp;medianat=ice;audio_codecs=opus", "127.0.0.1:5062"},
	{"dtls-no-ice", configs.Trunk{ICE: "off", Codecs: []string{"pcmu"}}, "0203", "mediaenc=dtls_srtp;audio_codecs=pcmu", "127.0.0.1:5063"},
	{"sdes", configs.Trunk{Media: "sdes", Codecs: []string{"pcmu"}}, "0204", "mediaenc=srtp-mand;audio_codecs=pcmu", "127.0.0.1:5064"},
	{"plain-rtp", configs.Trunk{Media: "rtp", Codecs: []string{"pcmu"}}, "0205", "audio_codecs=pcmu", "127.0.0.1:5065"},
}

// switchExt is extension 1001 answering with whichever browser leg the
// current case prepared.
type switchExt struct {
	mu  sync.Mutex
	leg sfu.Leg
}

func (s *switchExt) Reaches(n string) bool { return n == "1001" }

func (s *switchExt) set(l sfu.Leg) { s.mu.Lock(); s.leg = l; s.mu.Unlock() }

func (s *switchExt) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	req.Ringing()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leg, nil
}

// matrixTrunk is one mode's trunk with call control both ways.
type matrixTrunk struct {
	tr       *Trunk
	outCalls *sfu.Calls
	ext      *switchExt
}

// TestMediaMatrix: every media back-end against real baresip, outbound
// and inbound, with our 6xx Hz tone checked in baresip's recording and
// baresip's 440 Hz tone checked on our side. One baresip, one trunk per
// mode, cases run one after another.
func TestMediaMatrix(t *testing.T) {
	// baresip's aufile needs a WAV at the codec's rate and channels: the
	// Opus account gets its own 48 kHz stereo microphone.
	tone48 := filepath.Join(t.TempDir(), "tone48k.wav")
	must(t, testpeers.WriteToneWAVChannels(tone48, 48000, 2, 440, 0.3, 60*time.Second))
	var accounts []string
	for _, m := range mediaModes {
		a := "<sip:" + m.user + "@127.0.0.2:5070>;regint=0;answermode=auto;" + m.account
		if m.trunk.Codecs[0] == "opus" {
			a += ";audio_source=aufile," + tone48
		}
		accounts = append(accounts, a)
	}
	b := startBaresip(t, accounts...)
	api := testMediaAPI(t)
	trunks := map[string]matrixTrunk{}
	for _, m := range mediaModes {
		ext := &switchExt{}
		in := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), ext)
		tc := m.trunk
		tc.Name, tc.Listen, tc.Inbound = m.name, m.listen, map[string]string{"4930": "1001"}
		tr := newTestTrunk(t, tc, in)
		out := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), tr)
		t.Cleanup(out.Close)
		t.Cleanup(in.Close)
		trunks[m.name] = matrixTrunk{tr: tr, outCalls: out, ext: ext}
	}
	freq := 600.0
	for _, m := range mediaModes {
		for _, dir := range []string{"outbound", "inbound"} {
			freq += 100
			t.Run(m.name+"/"+dir, func(t *testing.T) {
				runMatrixCase(t, b, api, trunks[m.name], m, dir == "outbound", freq)
			})
		}
	}
	if t.Failed() {
		t.Logf("baresip output:\n%s", b.Output())
	}
}

// runMatrixCase makes one call, checks audio both ways and hangs up.
func runMatrixCase(t *testing.T, b *testpeers.Baresip, api *sfu.MediaAPI, mt matrixTrunk, m mediaMode, outbound bool, freq float64) {
	client, leg := browserLeg(t, api, "1001")
	nEst := len(b.Events("CALL_ESTABLISHED"))
	closed := len(b.Events("CALL_CLOSED"))
	menc := len(b.Events("CALL_MENC"))
	client.Listen()
	start := time.Now()
	if outbound {
		obs := newObserver()
		if _, err := mt.outCalls.Place(sfu.PlaceRequest{Caller: leg, To: m.user, Observer: obs}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, obs.connected, 15*time.Second, "connected")
	} else {
		mt.ext.set(leg)
		b.Command(t, "uafind", "sip:"+m.user+"@127.0.0.2:5070")
		time.Sleep(100 * time.Millisecond) // ctrl_tcp answers nothing to wait for
		start = time.Now()
		b.Command(t, "dial", "sip:4930@"+m.listen)
	}
	waitEvents(t, b, "CALL_ESTABLISHED", nEst+1, 10*time.Second)
	established := time.Since(start)
	heard := waitHeard(client, 440, 5*time.Second)
	t.Logf("%s: established after %s, baresip's tone heard after %s", m.name,
		established.Round(time.Millisecond), (established + heard).Round(time.Millisecond))
	must(t, client.StartTone(freq, 16000))
	time.Sleep(2 * time.Second)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("our side hears baresip's 440 Hz at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("baresip's tone too weak on our side: %.1f dBFS", db)
	}
	b.Command(t, "uafind", "sip:"+m.user+"@127.0.0.2:5070") // console keys go to the current account's call
	checkMatrixDTMF(t, b, client, leg)
	if !outbound {
		checkMatrixHold(t, b, mt.tr, client)
	}
	// baresip reports CALL_MENC when its media encryption is up.
	if secure, got := m.trunk.Media != "rtp", len(b.Events("CALL_MENC")) > menc; secure != got {
		t.Errorf("baresip media encryption reported: %v, want %v", got, secure)
	}
	_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitEvents(t, b, "CALL_CLOSED", closed+1, 5*time.Second)
	got := recordedTone(b, freq)
	t.Logf("baresip hears our %.0f Hz at %.1f dBFS", freq, got)
	if got < -30 {
		t.Errorf("our %.0f Hz tone not in baresip's recordings: %.1f dBFS, want ≥ -30", freq, got)
	}
}

// recordedTone is the level of freq that baresip's decoded recordings
// hold for at least half a second (two 250 ms windows), waiting up to 5 s
// for baresip to write the file. Not just the last second as in
// CheckRecording: under -race on two shared cores the pure-Go Opus coders
// can fall behind real time, and the tone then fills only part of the call.
func recordedTone(b *testpeers.Baresip, freq float64) float64 {
	best := -200.0
	for end := time.Now().Add(5 * time.Second); best < -30 && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		for _, windows := range b.DecodedToneProfile(freq) {
			if len(windows) >= 2 {
				w := slices.Sorted(slices.Values(windows))
				best = max(best, w[len(w)-2])
			}
		}
	}
	return best
}

// checkMatrixDTMF presses 5 in the browser (RFC 4733 to baresip, at the
// codec's telephone-event clock) and 7 on baresip's console (back to the
// browser's leg).
func checkMatrixDTMF(t *testing.T, b *testpeers.Baresip, client *sfutest.Client, leg *sfu.WebRTCLeg) {
	t.Helper()
	got := make(chan rune, 4)
	leg.SetDTMFSink(func(d rune) { got <- d })
	n := len(b.Events("CALL_DTMF_START"))
	must(t, client.SendDTMF('5'))
	waitEvents(t, b, "CALL_DTMF_START", n+1, 5*time.Second)
	if p := testpeers.Param(b.Events("CALL_DTMF_START")[n]); p != "5" {
		t.Errorf("baresip got DTMF %q, want 5", p)
	}
	b.PressKeys(t, "7")
	select {
	case d := <-got:
		if d != '7' {
			t.Errorf("browser got DTMF %q, want 7", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("baresip's DTMF 7 did not reach the browser")
	}
}

// checkMatrixHold: baresip holds and resumes (re-INVITEs answered
// in-dialog with our unchanged SDP); the call survives and baresip's tone
// is heard again, so SRTP keys and addresses are still right after it.
func checkMatrixHold(t *testing.T, b *testpeers.Baresip, tr *Trunk, client *sfutest.Client) {
	t.Helper()
	reinvites, closed := tr.Stats.ReInvites.Load(), len(b.Events("CALL_CLOSED"))
	b.Command(t, "hold", "")
	waitUntil(t, 5*time.Second, "hold re-INVITE", func() bool { return tr.Stats.ReInvites.Load() >= reinvites+1 })
	time.Sleep(300 * time.Millisecond)
	b.Command(t, "resume", "")
	waitUntil(t, 5*time.Second, "resume re-INVITE", func() bool { return tr.Stats.ReInvites.Load() >= reinvites+2 })
	time.Sleep(300 * time.Millisecond)
	if d := waitHeard(client, 440, 3*time.Second); d >= 3*time.Second {
		t.Errorf("baresip's tone not heard after hold/resume")
	}
	if len(b.Events("CALL_CLOSED")) > closed {
		t.Error("call closed by hold/resume")
	}
}

// waitHeard waits until the client hears freq (100 ms at ≥ -30 dBFS) and
// returns how long that took.
func waitHeard(c *sfutest.Client, freq float64, d time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < d && testpeers.ToneDB(c.Heard(100*time.Millisecond), 48000, freq) < -30 {
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// waitEvents waits until baresip has reported n events of type typ.
func waitEvents(t *testing.T, b *testpeers.Baresip, typ string, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(b.Events(typ)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("baresip event %s #%d not seen in %s; events: %v\noutput:\n%s", typ, n, d, b.EventTypes(), b.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDTLSNoICEWithoutRTCPMux: a phone that sends RTCP on its own port
// (no rtcp-mux) still gets DTLS-SRTP audio both ways on the RTP port.
func TestDTLSNoICEWithoutRTCPMux(t *testing.T) {
	b := testpeers.StartBaresip(t, testpeers.BaresipOptions{NoRTCPMux: true,
		Accounts: []string{"<sip:0203@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;audio_codecs=pcmu"}})
	api := testMediaAPI(t)
	ext := &switchExt{}
	in := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), ext)
	tr := newTestTrunk(t, configs.Trunk{Name: "nomux", ICE: "off", Codecs: []string{"pcmu"}, Inbound: map[string]string{"4930": "1001"}}, in)
	out := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), tr)
	t.Cleanup(out.Close)
	t.Cleanup(in.Close)
	m := mediaModes[2]
	m.listen = ourSIP
	for i, dir := range []string{"outbound", "inbound"} {
		t.Run(dir, func(t *testing.T) {
			runMatrixCase(t, b, api, matrixTrunk{tr: tr, outCalls: out, ext: ext}, m, dir == "outbound", float64(700+100*i))
		})
	}
	if strings.Contains(b.Output(), "multiplexing enabled") {
		t.Error("baresip multiplexed RTCP although configured not to")
	}
	if t.Failed() {
		t.Logf("baresip output:\n%s", b.Output())
	}
}
