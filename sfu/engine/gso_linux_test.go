package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/pion/rtp"
)

// TestGSODelivers sends one frame's packets (equal sizes, a shorter last)
// to one peer, another peer's packet queued among them, in one Flush: with and
// without UDP GSO each client reads exactly its datagrams, in order.
func TestGSODelivers(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("DisableGSO=%v", disable), func(t *testing.T) {
			e, err := New(Config{Listen: "127.0.0.1:0", DisableGSO: disable})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			pa, ca := addFakePeer(t, e, newRecorder(), true)
			pb, cb := addFakePeer(t, e, newRecorder(), true)
			batch := e.NewBatch(16)
			var want []string
			for i := range 6 {
				size := 1000
				if i == 5 {
					size = 300
				}
				if i == 2 { // a fan-out: the other viewer's packet between
					if err := batch.AddRTP(pb, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 2},
						Payload: []byte("other")}); err != nil {
						t.Fatal(err)
					}
				}
				payload := fmt.Sprintf("%0*d", size, i)
				want = append(want, payload)
				if err := batch.AddRTP(pa, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1,
					SequenceNumber: uint16(i)}, Payload: []byte(payload)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := batch.Flush(); err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if got := ca.readRTP(t); string(got.Payload) != w || got.SequenceNumber != uint16(i) {
					t.Fatalf("datagram %d: seq %d, %d bytes; want seq %d, %d bytes",
						i, got.SequenceNumber, len(got.Payload), i, len(w))
				}
			}
			if got := cb.readRTP(t); string(got.Payload) != "other" {
				t.Fatalf("other peer read %q", got.Payload)
			}
			if s := e.Stats(); s.Sent < 7 || s.SendErrors != 0 {
				t.Fatalf("stats %+v", s)
			}
			// A malformed UDP_SEGMENT message would be refused and resent
			// one by one: delivered, but GSO would be off from then on.
			if !disable && e.noGSO.Load() {
				t.Fatal("the kernel refused the GSO message")
			}
		})
	}
}

// TestCoalesceRuns checks which queued datagrams share a GSO message.
func TestCoalesceRuns(t *testing.T) {
	a := newSockaddr(true, netip.MustParseAddrPort("127.0.0.1:1000"))
	b := newSockaddr(true, netip.MustParseAddrPort("127.0.0.1:2000"))
	type dg struct {
		to   *sockaddr
		size int
	}
	many := make([]dg, 70)
	for i := range many {
		many[i] = dg{&a, 100}
	}
	cases := []struct {
		name string
		in   []dg
		want []int
	}{
		{"frame to one viewer", []dg{{&a, 1000}, {&a, 1000}, {&a, 1000}, {&a, 400}}, []int{4}},
		{"shorter ends a run", []dg{{&a, 1000}, {&a, 400}, {&a, 1000}}, []int{2, 1}},
		{"larger ends a run", []dg{{&a, 400}, {&a, 1000}}, []int{1, 1}},
		{"other address ends a run", []dg{{&a, 1000}, {&b, 1000}, {&b, 400}}, []int{1, 2}},
		{"one viewer's packets grouped across a fan-out", []dg{{&a, 1000}, {&b, 1000}, {&a, 1000}, {&b, 1000}, {&a, 400}, {&b, 400}}, []int{3, 3}},
		{"fan-out: one packet per viewer", []dg{{&a, 1000}, {&b, 1000}}, []int{1, 1}},
		{"at most 64 segments", many, []int{64, 6}},
		{"at most 65000 bytes", slices.Repeat([]dg{{&a, 1400}}, 50), []int{46, 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMmsg(newTestEngine(t).conn, len(tc.in), slotSize)
			for i, d := range tc.in {
				m.setDest(i, d.to, d.size)
			}
			g := m.coalesce(len(tc.in))
			var got []int
			for _, r := range m.runs[:g] {
				got = append(got, r.n)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("runs %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFlushGroupedDoesNotAllocate guards the egress of a fan-out: a frame
// of 6 packets queued packet by packet for 3 viewers, grouped by viewer
// and sent, allocates nothing.
func TestFlushGroupedDoesNotAllocate(t *testing.T) {
	e := newTestEngine(t)
	var viewers []*Peer
	for range 3 {
		v, _ := addFakePeer(t, e, newRecorder(), false)
		viewers = append(viewers, v)
	}
	batch := e.NewBatch(64)
	pkt := videoPacket(0)
	step := func() {
		for range 6 {
			pkt.SequenceNumber++
			for _, v := range viewers {
				if err := batch.AddRTP(v, pkt); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := batch.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Fatalf("%.1f allocations per grouped flush", allocs)
	}
	if e.noGSO.Load() {
		t.Fatal("the kernel refused a grouped GSO message")
	}
}
