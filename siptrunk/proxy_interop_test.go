package siptrunk

import (
	"context"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// bobAccount is baresip registered to kamailio as 7000: the far party of
// calls through the proxy.
const bobAccount = "<sip:7000@127.0.0.2:5080>;auth_pass=bobpw;regint=60;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"

// proxySetup starts kamailio, baresip (registered as 7000) and a trunk
// over transport registered to kamailio as 4000; inbound calls to 4000
// reach ext, numbers 7XXX leave through the trunk.
func proxySetup(t *testing.T, transport string, ext *fakeExtension) (*kamailio, *testpeers.Baresip, *Trunk, *sfu.Calls) {
	t.Helper()
	k := startKamailio(t)
	b := startBaresip(t, bobAccount)
	addr := kamailioSIP
	tc := configs.Trunk{Name: "pbx", Address: kamailioSIP, Transport: transport, Listen: ourSIP, Codecs: []string{"pcmu"},
		Register: &configs.TrunkRegister{User: "4000", Password: "s3cret", Expiry: configs.Duration(60 * time.Second)},
		Inbound:  map[string]string{"4000": "1001"}}
	if transport == "tls" {
		addr = kamailioTLS
		tc.Address = addr
		tc.TLS = configs.TrunkTLS{CAFile: k.CA, ServerName: "kamailio.test", Cert: k.Cert, Key: k.Key}
	}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Permission: func(string) string { return "national" },
		Dialplan: []configs.DialRule{{Pattern: "7XXX", Trunk: "pbx", Permission: "national"}}}, nil, testLogger())
	must(t, err)
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), ext, tr)
	tr.SetPlacer(calls)
	must(t, tr.Start())
	t.Cleanup(func() {
		calls.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Close(ctx); err != nil {
			t.Errorf("trunk close: %v", err)
		}
	})
	waitStatus(t, tr, 10*time.Second, "registered to kamailio", func(ok bool, _ int, _ error) bool { return ok })
	waitLog(t, k, "REGISTER ok 7000", 10*time.Second)
	return k, b, tr, calls
}

// waitLog waits until kamailio's log contains s.
func waitLog(t *testing.T, k *kamailio, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(k.Output(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("kamailio never logged %q:\n%s", s, k.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// callOutViaProxy: a fake browser calls 7000 (baresip) through kamailio;
// tones both ways; our BYE reaches baresip.
func callOutViaProxy(t *testing.T, b *testpeers.Baresip, calls *sfu.Calls) {
	t.Helper()
	client, leg := browserLeg(t, testMediaAPI(t), "1002")
	obs := newObserver()
	start := time.Now()
	if _, err := calls.Place(sfu.PlaceRequest{Caller: leg, To: "7000", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, obs.connected, 15*time.Second, "connected through kamailio")
	t.Logf("outbound via kamailio: setup %s", time.Since(start))
	b.WaitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	time.Sleep(2500 * time.Millisecond)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("outbound via kamailio: we hear baresip's 440 Hz at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("baresip's tone too weak: %.1f dB", db)
	}
	closed := len(b.Events("CALL_CLOSED"))
	_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitNewEvent(t, b, "CALL_CLOSED", closed, 5*time.Second)
	b.CheckRecording(t, 1000, -30)
}

// waitNewEvent waits until baresip has reported more than n events typ.
func waitNewEvent(t *testing.T, b *testpeers.Baresip, typ string, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(b.Events(typ)) <= n {
		if time.Now().After(deadline) {
			t.Fatalf("no new baresip %s in %s; events: %v", typ, d, b.EventTypes())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inboundLeg prepares the extension's answering browser before anything
// can call it (fakeExtension hands out its leg without locking).
func inboundLeg(t *testing.T) (*sfutest.Client, *fakeExtension) {
	t.Helper()
	client, leg := browserLeg(t, testMediaAPI(t), "1001")
	return client, &fakeExtension{number: "1001", leg: leg, ring: 100 * time.Millisecond}
}

// callInViaProxy: baresip calls 4000 through kamailio; the extension
// answers; tones both ways; baresip hangs up and our leg ends.
func callInViaProxy(t *testing.T, b *testpeers.Baresip, client *sfutest.Client, ext *fakeExtension) {
	t.Helper()
	start, before := time.Now(), len(b.Events("CALL_ESTABLISHED"))
	b.Command(t, "dial", "sip:4000@"+kamailioSIP)
	waitNewEvent(t, b, "CALL_ESTABLISHED", before, 15*time.Second)
	t.Logf("inbound via kamailio: setup %s", time.Since(start))
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	time.Sleep(2500 * time.Millisecond)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("inbound via kamailio: extension hears baresip at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("baresip's tone too weak at the extension: %.1f dB", db)
	}
	b.Command(t, "hangup", "")
	select {
	case <-ext.leg.Done():
	case <-time.After(5 * time.Second):
		t.Error("extension leg not ended after baresip's BYE through kamailio")
	}
}

// TestProxyCallsUDP: registration and calls both ways through kamailio.
func TestProxyCallsUDP(t *testing.T) {
	client, ext := inboundLeg(t)
	_, b, tr, calls := proxySetup(t, "udp", ext)
	callOutViaProxy(t, b, calls)
	callInViaProxy(t, b, client, ext)
	checkWire(t, tr)
}

// TestProxyTCP: REGISTER over TCP (Contact and Via say transport=tcp) and
// a call out through kamailio over TCP.
func TestProxyTCP(t *testing.T) {
	k, b, tr, calls := proxySetup(t, "tcp", &fakeExtension{number: "1001"})
	waitLog(t, k, "REGISTER ok 4000 expires=60 proto=tcp contact=<sip:4000@127.0.0.1:5060;transport=tcp>", time.Second)
	callOutViaProxy(t, b, calls)
	waitLog(t, k, "relay INVITE 7000 via tcp", time.Second)
	// Messages on the TCP connection we opened are counted too.
	w := &tr.Wire
	if w.ReqOut[0].Load() == 0 || w.ReqOut[5].Load() == 0 || w.ResIn[1].Load() == 0 {
		t.Errorf("TCP messages not counted: INVITE out %d, REGISTER out %d, 2xx in %d",
			w.ReqOut[0].Load(), w.ReqOut[5].Load(), w.ResIn[1].Load())
	}
}

// TestProxyTLS: REGISTER over TLS with the proxy's certificate verified
// against the test CA, and a call from baresip that kamailio delivers to
// our TLS listener.
func TestProxyTLS(t *testing.T) {
	client, ext := inboundLeg(t)
	k, b, _, _ := proxySetup(t, "tls", ext)
	waitLog(t, k, "REGISTER ok 4000 expires=60 proto=tls contact=<sip:4000@127.0.0.1:5060;transport=tls>", time.Second)
	callInViaProxy(t, b, client, ext)
	waitLog(t, k, "relay INVITE 4000 via udp to sip:4000@127.0.0.1:5060;transport=tls", time.Second)
}

// checkWire: the message counters saw what the calls did.
func checkWire(t *testing.T, tr *Trunk) {
	t.Helper()
	idx := func(m string) int {
		for i, n := range Methods() {
			if n == m {
				return i
			}
		}
		return -1
	}
	w := &tr.Wire
	for _, c := range []struct {
		what string
		got  uint64
	}{
		{"REGISTER sent", w.ReqOut[idx("REGISTER")].Load()}, {"INVITE sent", w.ReqOut[idx("INVITE")].Load()},
		{"INVITE received", w.ReqIn[idx("INVITE")].Load()}, {"BYE sent", w.ReqOut[idx("BYE")].Load()},
		{"BYE received", w.ReqIn[idx("BYE")].Load()}, {"2xx received", w.ResIn[1].Load()},
		{"2xx sent", w.ResOut[1].Load()}, {"4xx received (401 challenge)", w.ResIn[3].Load()},
	} {
		if c.got == 0 {
			t.Errorf("wire counter %s = 0", c.what)
		}
	}
}

// TestTLSVerifiesPeer: a certificate that does not match server_name is
// refused; the registration error says why.
func TestTLSVerifiesPeer(t *testing.T) {
	k := startKamailio(t)
	tr := newTestTrunk(t, configs.Trunk{Address: kamailioTLS, Transport: "tls",
		TLS:      configs.TrunkTLS{CAFile: k.CA, ServerName: "not-kamailio.test"},
		Register: &configs.TrunkRegister{User: "4000", Password: "s3cret"}}, nil)
	waitStatus(t, tr, 5*time.Second, "registration error", func(_ bool, _ int, err error) bool { return err != nil })
	_, _, err := tr.Status()
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err = %v, want a certificate error", err)
	}
	t.Logf("surfaced: %v", err)
}
