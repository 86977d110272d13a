package rtcpclock

import (
	"encoding/binary"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// rtcpRecorder is a leg's RTCP writer that keeps what was written.
type rtcpRecorder struct {
	mu    sync.Mutex
	nacks map[uint32][]uint16
	calls int
}

func (r *rtcpRecorder) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	for _, p := range pkts {
		if n, ok := p.(*rtcp.TransportLayerNack); ok {
			for _, pair := range n.Nacks {
				r.nacks[n.MediaSSRC] = append(r.nacks[n.MediaSSRC], pair.PacketList()...)
			}
		}
	}
	return 0, nil
}

func (r *rtcpRecorder) take() (map[uint32][]uint16, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, calls := r.nacks, r.calls
	r.nacks, r.calls = map[uint32][]uint16{}, 0
	return n, calls
}

// stream feeds sequence numbers through a bound remote stream.
type stream struct {
	read interceptor.RTPReader
	next chan uint16
}

func bindStream(t *testing.T, g interceptor.Interceptor, ssrc uint32, nack bool) *stream {
	t.Helper()
	s := &stream{next: make(chan uint16, 1)}
	info := &interceptor.StreamInfo{SSRC: ssrc}
	if nack {
		info.RTCPFeedback = []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	}
	s.read = g.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		b[0] = 0x80
		binary.BigEndian.PutUint16(b[2:4], <-s.next)
		return 12, a, nil
	}))
	return s
}

func (s *stream) receive(t *testing.T, seqs ...uint16) {
	t.Helper()
	buf := make([]byte, 1500)
	for _, q := range seqs {
		s.next <- q
		if _, _, err := s.read.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func newGenerator(t *testing.T) (*Clock, interceptor.Interceptor, *rtcpRecorder) {
	t.Helper()
	c := manualClock(t)
	g, err := NewNackGenerator(c, 100*time.Millisecond).NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	rec := &rtcpRecorder{nacks: map[uint32][]uint16{}}
	g.BindRTCPWriter(rec)
	t.Cleanup(func() { _ = g.Close() })
	return c, g, rec
}

func TestNackAsksForLostPacketsUntilTheyArrive(t *testing.T) {
	c, g, rec := newGenerator(t)
	video := bindStream(t, g, 1111, true)
	video.receive(t, 100, 101, 103, 106, 107)
	c.fire(time.Now())
	nacks, calls := rec.take()
	if want := []uint16{102, 104, 105}; !slices.Equal(nacks[1111], want) || calls != 1 {
		t.Fatalf("NACKed %v in %d writes, want %v in one", nacks, calls, want)
	}
	video.receive(t, 104) // a retransmission arrives
	c.fire(time.Now())
	if nacks, _ := rec.take(); !slices.Equal(nacks[1111], []uint16{102, 105}) {
		t.Fatalf("after 104 arrived NACKed %v, want [102 105]", nacks[1111])
	}
	c.fire(time.Now())
	c.fire(time.Now())
	if nacks, _ := rec.take(); !slices.Equal(nacks[1111], []uint16{102, 105}) {
		t.Fatalf("third and fourth ask NACKed %v, want [102 105] once more (3 asks each)", nacks[1111])
	}
}

func TestNackOnlyForStreamsThatNegotiatedIt(t *testing.T) {
	c, g, rec := newGenerator(t)
	audio := bindStream(t, g, 2222, false)
	audio.receive(t, 1, 5)
	video := bindStream(t, g, 3333, true)
	video.receive(t, 65534, 1) // across the wrap
	c.fire(time.Now())
	nacks, _ := rec.take()
	if _, ok := nacks[2222]; ok {
		t.Fatalf("NACKed an audio stream without nack feedback: %v", nacks)
	}
	if want := []uint16{65535, 0}; !slices.Equal(nacks[3333], want) {
		t.Fatalf("NACKed %v across the wrap, want %v", nacks[3333], want)
	}
}

// A jump of a whole window (a sender restart) or a packet from before the
// window must not make the generator ask for hundreds of packets.
func TestNackIgnoresRestartsAndStalePackets(t *testing.T) {
	c, g, rec := newGenerator(t)
	video := bindStream(t, g, 4444, true)
	video.receive(t, 10, 11, 5000, 5001, 11, 4000)
	c.fire(time.Now())
	if nacks, calls := rec.take(); calls != 0 {
		t.Fatalf("NACKed %v after a restart, want nothing", nacks)
	}
}

// The generator runs on the clock only while it has a stream to watch.
func TestNackJobFollowsItsStreams(t *testing.T) {
	c, g, rec := newGenerator(t)
	if c.fire(time.Now()) {
		t.Fatal("a leg without video already has a clock job")
	}
	video := bindStream(t, g, 5555, true)
	video.receive(t, 1, 3)
	g.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 5555})
	if c.fire(time.Now()) {
		t.Fatal("clock job left after the last stream was unbound")
	}
	video = bindStream(t, g, 6666, true)
	video.receive(t, 1, 3)
	_ = g.Close()
	c.fire(time.Now())
	if nacks, calls := rec.take(); calls != 0 {
		t.Fatalf("closed generator wrote %v", nacks)
	}
}
