package sipmedia

import (
	"strings"
	"testing"
)

// asteriskOpus is an Asterisk-style offer: Opus on a dynamic type with
// telephone-event only at 8 kHz, no ICE, DTLS fingerprint.
const asteriskOpus = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
	"m=audio 20000 UDP/TLS/RTP/SAVPF 107 0 101\r\na=rtpmap:107 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=setup:actpass\r\na=fingerprint:sha-256 AA:BB\r\n" +
	"a=rtcp-mux\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"

func TestChooseCodec(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prefs    []string
		sdp      string
		want     string
		pt, dtmf uint8
		dtmfRate uint32
	}{
		{"opus dynamic, dtmf at 8k", []string{"opus", "pcmu"}, asteriskOpus, "opus", 107, 101, 8000},
		{"pcmu preferred", []string{"PCMU", "opus"}, asteriskOpus, "pcmu", 0, 101, 8000},
		{"static pcma without rtpmap", []string{"pcma"}, "m=audio 1 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\n", "pcma", 8, 96, 8000},
		{"dtmf at the codec's rate preferred", []string{"opus"},
			"m=audio 1 RTP/AVP 111 101 110\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:110 telephone-event/48000\r\n",
			"opus", 111, 110, 48000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := chooseCodec(tc.prefs, tc.sdp)
			if !ok || c.Name != tc.want || c.PayloadType != tc.pt || !c.HasDTMF || c.DTMFPayloadType != tc.dtmf || c.DTMFClockRate != tc.dtmfRate {
				t.Errorf("got %+v ok=%v", c, ok)
			}
		})
	}
	if _, ok := chooseCodec([]string{"pcma"}, asteriskOpus); ok {
		t.Error("chose pcma, which the offer lacks")
	}
}

func TestParseSDPMedia(t *testing.T) {
	m := parseSDPMedia(asteriskOpus)
	a, ok := m.remote()
	if !ok || a.String() != "192.0.2.10:20000" || m.proto != "UDP/TLS/RTP/SAVPF" || !m.rtcpMux ||
		m.setup != "actpass" || m.fingerprint != "sha-256 AA:BB" || m.ice || len(m.payloads) != 3 {
		t.Errorf("parsed %+v", m)
	}
	if _, ok := parseSDPMedia("m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n").remote(); ok {
		t.Error("port 0 / 0.0.0.0 gave a remote address")
	}
}

func TestParseCrypto(t *testing.T) {
	k, err := newSDESKey("1", 0)
	must(t, err)
	got, ok := parseCrypto(k.line())
	if !ok || got.suite != "AES_CM_128_HMAC_SHA1_80" || string(got.key) != string(k.key) {
		t.Errorf("round trip of %q: %+v %v", k.line(), got, ok)
	}
	for _, bad := range []string{
		"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=",                                                             // short key
		"1 AEAD_AES_256_GCM inline:" + strings.Repeat("A", 40),                                                  // unsupported suite
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + k.line()[len("1 AES_CM_128_HMAC_SHA1_80 inline:"):] + "|2^20|1:4", // MKI
		"1 AES_CM_128_HMAC_SHA1_80",
	} {
		if _, ok := parseCrypto(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, ok := parseCrypto(k.line() + "|2^31"); !ok {
		t.Error("refused a key with a lifetime")
	}
}

// TestNewChoice: the back-end follows media/ice and the offer.
func TestNewChoice(t *testing.T) {
	iceOffer := asteriskOpus + "a=ice-ufrag:abcd\r\n"
	for _, tc := range []struct {
		media, ice, offer string
		want              string
	}{
		{"", "", "", "pion"},
		{"", "auto", iceOffer, "pion"},
		{"", "auto", asteriskOpus, "dtls"},
		{"", "on", asteriskOpus, "pion"},
		{"dtls-srtp", "off", "", "dtls"},
		{"sdes", "", "", "sdes"},
		{"rtp", "on", "", "rtp"},
	} {
		m, err := New(Config{IP: []byte{127, 0, 0, 1}, Media: tc.media, ICE: tc.ice, Log: testLogger()}, tc.offer, false)
		must(t, err)
		got := "pion"
		if s, ok := m.(*sockMedia); ok {
			got = map[sockKind]string{sockDTLS: "dtls", sockSDES: "sdes", sockRTP: "rtp"}[s.kind]
		}
		if got != tc.want {
			t.Errorf("media %q ice %q (offer has ICE: %v): %s, want %s", tc.media, tc.ice, hasICE(tc.offer), got, tc.want)
		}
		_ = m.Close()
	}
}
