package sipmedia

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// negotiated returns a and b of kind with media flowing both ways.
func negotiated(t *testing.T, kind sockKind) (a, b *sockPeer, offer string) {
	t.Helper()
	a, b = newSockPeer(t, kind, "pcmu"), newSockPeer(t, kind, "pcmu")
	offer, err := a.m.Offer(context.Background())
	must(t, err)
	answer, err := b.m.Answer(context.Background(), offer)
	must(t, err)
	must(t, a.m.Accept(answer))
	a.m.Start(a.onRTP)
	b.m.Start(b.onRTP)
	sendUntilHeard(t, a, b, bytes.Repeat([]byte{0x55}, 160))
	sendUntilHeard(t, b, a, bytes.Repeat([]byte{0xd5}, 160))
	return a, b, offer
}

// reset forgets what p received, to wait for fresh packets.
func (p *sockPeer) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got, p.pts, p.seen, p.once = nil, nil, make(chan struct{}), sync.Once{}
}

// TestSockMediaUpdateMovesMedia: the peer re-INVITEs from another socket
// (another port, and for SDES another key), as a PBX does when it moves
// media off itself. Audio then flows both ways on the new path, and for
// plain RTP the strict latch moved: the old address is refused.
func TestSockMediaUpdateMovesMedia(t *testing.T) {
	for _, kind := range []sockKind{sockRTP, sockSDES} {
		t.Run(map[sockKind]string{sockRTP: "rtp", sockSDES: "sdes"}[kind], func(t *testing.T) {
			a, b, _ := negotiated(t, kind)
			c := newSockPeer(t, kind, "pcmu", "pcma")
			reOffer, err := c.m.Offer(context.Background())
			must(t, err)
			answer, err := b.m.Update(reOffer)
			must(t, err)
			must(t, c.m.Accept(answer))
			c.m.Start(c.onRTP)
			b.reset()
			sendUntilHeard(t, c, b, bytes.Repeat([]byte{0x11}, 160))
			sendUntilHeard(t, b, c, bytes.Repeat([]byte{0x22}, 160))
			if kind == sockRTP {
				before := b.m.stats.rejected.Load()
				for range 5 {
					must(t, a.m.WriteAudio(make([]byte, 160), 160))
				}
				waitUntil(t, 2*time.Second, "old address refused after the move", func() bool { return b.m.stats.rejected.Load() >= before+5 })
			}
		})
	}
}

// TestSockMediaUpdateRekey: the same peer re-offers with a fresh SDES key
// (RFC 4568 allows re-keying); we keep our key, and audio keeps flowing
// both ways under the new key.
func TestSockMediaUpdateRekey(t *testing.T) {
	a, b, _ := negotiated(t, sockSDES)
	ourLine := b.m.sdes.line()
	reOffer, err := a.m.Offer(context.Background())
	must(t, err)
	answer, err := b.m.Update(reOffer)
	must(t, err)
	if !strings.Contains(answer, "a=crypto:"+ourLine) {
		t.Errorf("answer changed our key:\n%s", answer)
	}
	must(t, a.m.Accept(answer))
	a.reset()
	b.reset()
	sendUntilHeard(t, a, b, bytes.Repeat([]byte{0x33}, 160))
	sendUntilHeard(t, b, a, bytes.Repeat([]byte{0x44}, 160))
}

// TestSockMediaUpdateRefused: a re-offer without the negotiated codec, or
// with a new DTLS fingerprint, is refused (488) and the call's audio is
// untouched; a hold re-offer of the same SDP changes nothing.
func TestSockMediaUpdateRefused(t *testing.T) {
	for _, kind := range []sockKind{sockRTP, sockDTLS} {
		a, b, offer := negotiated(t, kind)
		hold := WithDirection(WithVersion(offer, 1), "sendonly")
		if _, err := b.m.Update(hold); err != nil {
			t.Errorf("kind %d: hold re-offer refused: %v", kind, err)
		}
		noCodec := strings.Replace(offer, " 0 101", " 8 101", 1)
		if _, err := b.m.Update(noCodec); !errors.Is(err, ErrUpdate) {
			t.Errorf("kind %d: re-offer without PCMU: %v, want ErrUpdate", kind, err)
		}
		if kind == sockDTLS {
			c := newSockPeer(t, kind, "pcmu")
			other, err := c.m.Offer(context.Background())
			must(t, err)
			if _, err := b.m.Update(other); !errors.Is(err, ErrUpdate) {
				t.Errorf("new fingerprint: %v, want ErrUpdate", err)
			}
		}
		a.reset()
		b.reset()
		sendUntilHeard(t, a, b, bytes.Repeat([]byte{0x66}, 160))
		sendUntilHeard(t, b, a, bytes.Repeat([]byte{0x77}, 160))
	}
}
