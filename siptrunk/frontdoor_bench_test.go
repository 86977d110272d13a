package siptrunk

import (
	"net/netip"
	"testing"
	"time"

	"xphone/configs"
)

func benchDoor(b *testing.B) *frontDoor {
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: "127.0.0.2:5060", Listen: "127.0.0.1:5060"}}, nil, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	clock := time.Unix(1e9, 0)
	tr.now = func() time.Time { clock = clock.Add(time.Second); return clock } // never rate-limited
	return tr.door
}

// BenchmarkFrontDoorStranger is what a datagram from a source not allowed
// costs: the source check, a counter and the summary log's bookkeeping.
func BenchmarkFrontDoorStranger(b *testing.B) {
	d := benchDoor(b)
	src := netip.MustParseAddr("198.51.100.7")
	b.ReportAllocs()
	for b.Loop() {
		if !d.stranger(src) {
			b.Fatal("stranger admitted")
		}
	}
}

// BenchmarkFrontDoorPeerOptions is an OPTIONS from the PBX: rate limit,
// parse and transaction check (sipgo then parses it again).
func BenchmarkFrontDoorPeerOptions(b *testing.B) {
	d := benchDoor(b)
	src := netip.MustParseAddr("127.0.0.2")
	msg := []byte(rawRequest("OPTIONS", "SIP/2.0", "1 OPTIONS"))
	b.ReportAllocs()
	for b.Loop() {
		if v := d.datagram(src, msg); !v.pass {
			b.Fatal("OPTIONS refused")
		}
	}
}

// BenchmarkFrontDoorPeerGarbage is an unparsable 1,360-byte datagram from
// the PBX: parse attempt, counting and the salvage attempt.
func BenchmarkFrontDoorPeerGarbage(b *testing.B) {
	d := benchDoor(b)
	src := netip.MustParseAddr("127.0.0.2")
	junk := make([]byte, 1360)
	for i := range junk {
		junk[i] = byte(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v := d.datagram(src, junk); v.pass {
			b.Fatal("garbage passed")
		}
	}
}
