package sfu

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// A browser whose video loses packets on the way to the server is asked,
// by RTCP NACK, for exactly those packets, a bounded number of times.
func TestServerAsksForLostVideoPackets(t *testing.T) {
	api := testMediaAPI(t)
	alice, aliceLeg := newClientLeg(t, api, "1001", true)
	bob, bobLeg := newClientLeg(t, api, "1002", true)
	talking(alice, 'A')
	talking(bob, 'B')
	room := NewRoom("r1", nil, slog.Default())
	room.Join(aliceLeg)
	room.Join(bobLeg)
	eventually(t, 5*time.Second, "alice's video at bob", func() bool { return bob.VideoReceived.Load() > 10 })
	if n := alice.NackedVideo(); len(n) != 0 {
		t.Fatalf("server NACKed %v on a lossless loopback link", n)
	}

	alice.DropVideo.Store(3)
	eventually(t, 3*time.Second, "NACKs for the 3 lost packets", func() bool {
		return len(distinct(alice.NackedVideo())) >= 3
	})
	time.Sleep(600 * time.Millisecond) // several more NACK rounds
	asked := alice.NackedVideo()
	lost := distinct(asked)
	if len(lost) != 3 || lost[1] != lost[0]+1 || lost[2] != lost[1]+1 {
		t.Fatalf("server asked for %v, want the 3 consecutive lost packets", lost)
	}
	for _, s := range lost {
		if n := count(asked, s); n > 3 {
			t.Fatalf("packet %d asked for %d times, want at most 3", s, n)
		}
	}
}

func distinct(s []uint16) []uint16 {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func count(s []uint16, v uint16) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// A viewer's NACK for video packets it got from the server brings them
// again on the same stream, from the publisher's cache through the viewer's
// own connection; a NACK for a packet never sent brings nothing.
func TestServerResendsVideoAViewerAsksFor(t *testing.T) {
	api := testMediaAPI(t)
	alice, aliceLeg := newClientLeg(t, api, "1001", true)
	bob, err := sfutest.NewClientWith(sfutest.Options{Video: true, AcceptDuplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	bobLeg := connectClient(t, api, "1002", bob)
	talking(alice, 'A')
	talking(bob, 'B')
	room := NewRoom("r1", nil, slog.Default())
	room.Join(aliceLeg)
	room.Join(bobLeg)
	eventually(t, 5*time.Second, "alice's video at bob", func() bool { return bob.VideoReceived.Load() > 10 })
	last := bob.LastVideoSeq()
	never := last + 20000
	if err := bob.AskAgain(last-2, last-1, never); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "the two packets again", func() bool {
		return bob.Copies(last-2) == 1 && bob.Copies(last-1) == 1
	})
	if n := bob.Copies(never); n != 0 {
		t.Fatalf("packet %d, never sent, arrived %d times", never, n)
	}
	var resent uint64
	for _, d := range bobLeg.Downs() {
		resent += d.Resent()
	}
	if resent != 2 {
		t.Fatalf("bob's tracks resent %d packets, want 2", resent)
	}
	if total := api.stats.PacketsResent.Load(); total != 2 {
		t.Fatalf("the media plane counted %d packets resent, want 2 (what /metrics shows)", total)
	}
}
