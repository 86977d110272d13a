package sipmedia

import (
	"strings"
	"testing"
)

const pionOffer = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 AA\r\na=setup:actpass\r\na=mid:0\r\na=extmap:1 urn:x\r\na=sendrecv\r\na=rtcp-mux\r\n" +
	"a=rtpmap:0 PCMU/8000\r\na=rtcp-fb:0 nack\r\na=ssrc:1 cname:x\r\na=ssrc:1 msid:a b\r\na=msid:a b\r\n" +
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=candidate:1 2 udp 2130706431 127.0.0.1 40001 typ host\r\n"

func TestToSIP(t *testing.T) {
	s, err := toSIP(pionOffer, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"c=IN IP4 127.0.0.1\r\n", "m=audio 40000 UDP/TLS/RTP/SAVPF 0 101\r\n", "o=- 1 2 IN IP4 127.0.0.1\r\n",
		"a=fingerprint:sha-256 AA", "a=candidate:1 1 udp"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	for _, gone := range []string{"a=extmap", "a=rtcp-fb", "a=ssrc", "a=msid", "a=mid", "BUNDLE", "a=candidate:1 2", "0.0.0.0", "ice-options"} {
		if strings.Contains(s, gone) {
			t.Errorf("%q left in\n%s", gone, s)
		}
	}
	if _, err := toSIP("v=0\r\nm=audio 9 RTP/AVP 0\r\n", false, false); err == nil {
		t.Error("SDP without candidates accepted")
	}
}

func TestFromSIP(t *testing.T) {
	peer := "v=0\r\ns=-\r\nt=0 0\r\nm=audio 5000 UDP/TLS/RTP/SAVPF 0 101\r\na=ssrc:7 cname:x\r\na=sendrecv\r\n"
	s, hadMid := fromSIP(peer)
	if hadMid || !strings.Contains(s, "a=group:BUNDLE 0\r\nm=audio") || !strings.Contains(s, "a=mid:0") || strings.Contains(s, "a=ssrc") {
		t.Errorf("fromSIP = %v\n%s", hadMid, s)
	}
	if _, hadMid := fromSIP(pionOffer); !hadMid {
		t.Error("mid not detected")
	}
}
