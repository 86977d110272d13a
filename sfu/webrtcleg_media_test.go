package sfu

import (
	"context"
	"testing"

	"github.com/pion/rtp"
)

// packetPathRig is two legs answered from a recorded Chromium offer (no
// browser connects, so the engine's read goroutine never touches them):
// bob's audio down track follows alice's audio, and a packet is handed to
// alice's engine handler as the read goroutine would.
type packetPathRig struct {
	alice, bob *WebRTCLeg
	pkt        rtp.Packet
	raw        []byte
}

func newPacketPathRig(tb testing.TB, api *MediaAPI) *packetPathRig {
	tb.Helper()
	offer := firefoxSDP(tb, "chromium-video-simulcast-offer.sdp")
	r := &packetPathRig{}
	for _, leg := range []**WebRTCLeg{&r.alice, &r.bob} {
		l, _, err := api.NewWebRTCLeg(context.Background(), Identity{Number: "1001"}, offer)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = l.Hangup(context.Background(), ReasonHangup) })
		*leg = l
	}
	up := r.alice.up(Audio)
	down := r.bob.Downs()[0]
	down.SetSource(up)
	up.Subscribe(down)
	r.pkt = rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SSRC: 0x1234, SequenceNumber: 1},
		Payload: make([]byte, 80)}
	r.raw, _ = r.pkt.Marshal()
	return r
}

// step hands the next packet to alice's handler and ends the read batch.
func (r *packetPathRig) step() {
	r.pkt.SequenceNumber++
	r.pkt.Timestamp += 960
	r.alice.media.OnRTPRaw(&r.pkt, r.raw)
	r.alice.media.EndBatch()
}

// TestPacketPathRoutesAndDoesNotAllocate: a browser's packet reaches its
// UpTrack by SSRC (learned from the payload type on the first packet), is
// forwarded to the other leg's down track, and the whole per-packet path
// (routing, RTCP bookkeeping, fan-out, queueing into the batch) allocates
// nothing.
func TestPacketPathRoutesAndDoesNotAllocate(t *testing.T) {
	r := newPacketPathRig(t, testMediaAPI(t))
	r.step()
	if got := r.alice.up(Audio).Packets(); got != 1 {
		t.Fatalf("alice's audio up track counted %d packets, want 1", got)
	}
	if got := r.bob.Downs()[0].Forwarded(); got != 1 {
		t.Fatalf("bob's down track forwarded %d packets, want 1", got)
	}
	if allocs := testing.AllocsPerRun(200, r.step); allocs != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", allocs)
	}
}

// BenchmarkPacketPath is one packet from a browser through routing, RTCP
// bookkeeping and the fan-out to one viewer.
func BenchmarkPacketPath(b *testing.B) {
	api, err := NewMediaAPI(testMediaConfig(), nil, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	r := newPacketPathRig(b, api)
	b.ReportAllocs()
	for b.Loop() {
		r.step()
	}
}

// TestNewSSRCReplacesTheOld: a browser stream whose SSRC changes (a
// restarted sender) keeps flowing under the new SSRC, and a client that
// invents a new SSRC per packet leaves one route per stream, not one per
// SSRC it made up.
func TestNewSSRCReplacesTheOld(t *testing.T) {
	r := newPacketPathRig(t, testMediaAPI(t))
	r.step()
	for i := range 200 {
		r.pkt.SSRC = 0x10000 + uint32(i)
		r.raw, _ = r.pkt.Marshal()
		r.step()
	}
	if got := r.alice.up(Audio).Packets(); got != 201 {
		t.Fatalf("alice's audio up track counted %d packets, want 201", got)
	}
	if got := r.bob.Downs()[0].Forwarded(); got != 201 {
		t.Fatalf("bob's down track forwarded %d packets, want 201", got)
	}
	if n := len(*r.alice.media.routes.Load()); n != 1 {
		t.Fatalf("alice's leg routes %d SSRCs for its one audio stream, want 1", n)
	}
}
