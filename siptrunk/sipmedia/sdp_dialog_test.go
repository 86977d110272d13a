package sipmedia

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestDirections: an offer's direction is answered as RFC 3264 §6.1 says,
// and our SDP is rewritten to a direction and a session version with
// nothing else changed.
func TestDirections(t *testing.T) {
	for dir, want := range map[string]string{"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive", "sendrecv": "sendrecv", "": "sendrecv"} {
		offer := plainOffer
		if dir != "" {
			offer = strings.Replace(plainOffer, "a=sendrecv", "a="+dir, 1)
		} else {
			offer = strings.Replace(plainOffer, "a=sendrecv\r\n", "", 1)
		}
		if got := AnswerDirection(offer); got != want {
			t.Errorf("AnswerDirection(%s) = %s, want %s", dir, got, want)
		}
		if dir != "" && dir != "sendrecv" && Direction(offer) != dir {
			t.Errorf("Direction(%s) = %s", dir, Direction(offer))
		}
	}
	held := strings.Replace(plainOffer, "a=sendrecv", "a=recvonly", 1)
	if got := WithDirection(plainOffer, "recvonly"); got != held {
		t.Errorf("WithDirection = %q, want %q", got, held)
	}
	if got, want := WithVersion(plainOffer, 3), strings.Replace(plainOffer, "o=- 7 7 ", "o=- 7 10 ", 1); got != want {
		t.Errorf("WithVersion = %q, want %q", got, want)
	}
	if !HasAudio(plainOffer) || HasAudio(strings.Replace(plainOffer, "m=audio", "m=video", 1)) {
		t.Error("HasAudio wrong")
	}
}

// TestMirrorDirections: each section of an answer mirrors the offer's
// section in its place; only the audio decides the call's hold.
func TestMirrorDirections(t *testing.T) {
	video := "m=video 40004 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=inactive\r\n"
	offer := strings.Replace(plainOffer, "a=sendrecv", "a=sendonly", 1) + video
	answer := plainOffer + strings.Replace(video, "a=inactive", "a=sendrecv", 1)
	got := MirrorDirections(offer, answer)
	if a, v := parseSDPMedia(got).direction, parseSDPSection(got, "video").direction; a != RecvOnly || v != Inactive {
		t.Errorf("answer audio %s video %s, want recvonly and inactive:\n%s", a, v, got)
	}
	if d := AnswerDirection(offer); d != RecvOnly {
		t.Errorf("held audio: AnswerDirection %s, want recvonly", d)
	}
	if d := AnswerDirection(plainOffer + video); d != SendRecv {
		t.Errorf("paused video alone: AnswerDirection %s, want sendrecv (no hold)", d)
	}
	sessionHold := strings.Replace(strings.Replace(plainOffer, "a=sendrecv\r\n", "", 1), "t=0 0\r\n", "t=0 0\r\na=sendonly\r\n", 1)
	if got := MirrorDirections(sessionHold, plainOffer); parseSDPMedia(got).direction != RecvOnly {
		t.Errorf("session-level sendonly not mirrored:\n%s", got)
	}
}

// TestOurSDPRoundTrips: every offer a back-end writes comes out of the
// parsed edits byte for byte, so re-offers and answers built by
// WithDirection and WithVersion look to peers as they always did.
func TestOurSDPRoundTrips(t *testing.T) {
	for _, cfg := range []Config{{Media: "rtp"}, {Media: "sdes"}, {ICE: "off"}, {ICE: "on"}} {
		cfg.IP, cfg.Codecs, cfg.Log = net.ParseIP(ourIP), []string{"opus", "pcmu"}, testLogger()
		for _, video := range []bool{false, true} {
			m, err := New(cfg, "", video)
			must(t, err)
			s, err := m.Offer(context.Background())
			must(t, err)
			if got := WithVersion(s, 0); got != s {
				t.Errorf("media %q ice %q video %v: the offer changed in a round trip\n%s\n%s", cfg.Media, cfg.ICE, video, s, got)
			}
			_ = m.Close()
		}
	}
}
