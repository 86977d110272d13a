package sfu

import (
	"log/slog"
	"slices"
	"testing"
	"time"
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
