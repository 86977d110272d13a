package mixer

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
)

// pcmCodec "encodes" PCM as little-endian bytes, so mixes can be checked
// sample by sample.
type pcmCodec struct{}

func (pcmCodec) Encode(pcm []int16, out []byte) (int, error) {
	n := min(len(pcm), len(out)/2)
	for i, s := range pcm[:n] {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return 2 * n, nil
}

func (pcmCodec) Decode(payload []byte, pcm []int16) (int, error) {
	n := min(len(pcm), len(payload)/2)
	for i := range pcm[:n] {
		pcm[i] = int16(binary.LittleEndian.Uint16(payload[2*i:]))
	}
	clear(pcm[n:])
	return len(pcm), nil
}

func (pcmCodec) DecodeLoss(_ []byte, pcm []int16) (int, error) {
	clear(pcm)
	return len(pcm), nil
}

// capture records the first sample, header and count of every packet
// forwarded.
type capture struct {
	first   []int16
	headers []rtp.Header
	lastSeq uint16
}

func (c *capture) Forward(p *rtp.Packet) {
	c.first = append(c.first, int16(binary.LittleEndian.Uint16(p.Payload)))
	c.headers = append(c.headers, p.Header)
	c.lastSeq = p.SequenceNumber
}

func (c *capture) last() int16 { return c.first[len(c.first)-1] }

const frame = 4

type member struct {
	p      *Participant
	out    *capture
	routes []bool
	seq    uint16
}

func newMember(t *testing.T, m *Mixer, id string) *member {
	t.Helper()
	mb := &member{out: &capture{}}
	mb.p = NewParticipant(id, mb.out, func(personal bool) { mb.routes = append(mb.routes, personal) })
	m.Add(mb.p)
	return mb
}

// say pushes one frame of constant value v at RFC 6464 level.
func (mb *member) say(v int16, level uint8) {
	pcm := make([]int16, frame)
	for i := range pcm {
		pcm[i] = v
	}
	buf := make([]byte, 2*frame)
	_, _ = pcmCodec{}.Encode(pcm, buf)
	mb.seq++
	mb.p.Push(mb.seq, buf, level)
}

func newTestMixer(t *testing.T, k int) (*Mixer, *capture) {
	t.Helper()
	shared := &capture{}
	m, err := New(Config{TopK: k, Frame: frame, Threshold: 60, HoldTicks: 2}, pcmCoders{}, shared)
	if err != nil {
		t.Fatal(err)
	}
	return m, shared
}

func TestMixMinusNeverContainsOwnVoice(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b, c := newMember(t, m, "a"), newMember(t, m, "b"), newMember(t, m, "c")
	listener := newMember(t, m, "quiet")
	for i := 0; i < 4; i++ { // prebuffer, then play
		a.say(1000, 10)
		b.say(200, 20)
		c.say(30, 30)
		listener.say(5, 127)
		m.Tick()
	}
	if got := a.out.last(); got != 230 {
		t.Errorf("a hears %d, want b+c = 230", got)
	}
	if got := b.out.last(); got != 1030 {
		t.Errorf("b hears %d, want a+c = 1030", got)
	}
	if got := c.out.last(); got != 1200 {
		t.Errorf("c hears %d, want a+b = 1200", got)
	}
	if got := shared.last(); got != 1230 {
		t.Errorf("shared mix %d, want a+b+c = 1230 (the quiet listener's 5 excluded)", got)
	}
	if len(listener.out.first) != 0 {
		t.Error("a non-talker got a personal stream")
	}
	if len(a.routes) != 1 || !a.routes[0] || len(listener.routes) != 0 {
		t.Errorf("routes a=%v listener=%v", a.routes, listener.routes)
	}
}

func TestOnlyTopKAreDecodedAndSilentListenersShareOneEncode(t *testing.T) {
	m, _ := newTestMixer(t, 3)
	var members []*member
	for i := 0; i < 10; i++ {
		members = append(members, newMember(t, m, string(rune('a'+i))))
	}
	const ticks = 20
	for tick := 0; tick < ticks; tick++ {
		for i, mb := range members {
			level := uint8(127)
			if i == 2 || i == 5 || i == 7 {
				level = uint8(10 + i)
			}
			mb.say(int16(i), level)
		}
		m.Tick()
	}
	if d := m.Stats.Decodes.Load(); d != 3*ticks {
		t.Fatalf("decoded %d frames in %d ticks, want exactly 3 per tick", d, ticks)
	}
	// The first tick's talkers are still prebuffering: silence, not sent.
	if e := m.Stats.Encodes.Load(); e != 4*(ticks-1) {
		t.Fatalf("encoded %d frames, want 3 mix-minus + 1 shared per tick after the first", e)
	}
	for i, mb := range members {
		talker := i == 2 || i == 5 || i == 7
		if talker != mb.p.Talker() {
			t.Errorf("member %d talker=%v", i, mb.p.Talker())
		}
	}
}

func TestLouderNewcomerDisplacesQuietestAndHoldKeepsPauses(t *testing.T) {
	m, _ := newTestMixer(t, 2)
	a, b, c := newMember(t, m, "a"), newMember(t, m, "b"), newMember(t, m, "c")
	step := func(la, lb, lc uint8) {
		a.say(1, la)
		b.say(2, lb)
		c.say(3, lc)
		m.Tick()
	}
	step(10, 40, 127)
	step(10, 40, 127)
	if !a.p.Talker() || !b.p.Talker() || c.p.Talker() {
		t.Fatal("a and b should be the two talkers")
	}
	step(10, 127, 127) // b pauses: held for HoldTicks
	if !b.p.Talker() {
		t.Fatal("a one-tick pause dropped b from the mix")
	}
	step(10, 127, 5) // c starts louder than everyone
	if !c.p.Talker() || b.p.Talker() {
		t.Fatal("loud newcomer c did not replace the pausing b")
	}
	if len(b.routes) != 2 || b.routes[0] != true || b.routes[1] != false {
		t.Fatalf("b's routes %v, want personal then shared", b.routes)
	}
}

func TestClipping(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	for i := 0; i < 3; i++ {
		a.say(30000, 1)
		b.say(30000, 1)
		m.Tick()
	}
	if shared.last() != 32767 {
		t.Fatalf("shared %d, want clipped 32767", shared.last())
	}
}

func TestMutedAndStoppedSendersAreNotMixed(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	b.p.SetMuted(true)
	for i := 0; i < 4; i++ {
		a.say(100, 10)
		b.say(50, 10)
		m.Tick()
	}
	if shared.last() != 100 || b.p.Talker() {
		t.Fatalf("muted b mixed: shared %d", shared.last())
	}
	for i := 0; i < 8; i++ { // a stops sending altogether
		m.Tick()
	}
	if a.p.Talker() {
		t.Fatal("a sender that stopped is still a talker")
	}
}

func TestRemovedParticipantIsNotMixed(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	for i := 0; i < 3; i++ {
		a.say(100, 10)
		b.say(7, 10)
		m.Tick()
	}
	m.Remove(a.p)
	for i := 0; i < 3; i++ {
		b.say(7, 10)
		m.Tick()
	}
	if shared.last() != 7 || m.Len() != 1 {
		t.Fatalf("shared %d after a left, want 7", shared.last())
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := New(Config{TopK: -1}, pcmCoders{}, &capture{}); err == nil {
		t.Fatal("negative TopK accepted")
	}
	if _, err := New(Config{Threshold: 200}, pcmCoders{}, &capture{}); err == nil {
		t.Fatal("threshold beyond 127 accepted")
	}
}

func TestNewTalkerStartsFromFreshAudio(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	c := newMember(t, m, "c")
	for v := int16(1); v <= 10; v++ { // queued while quiet, never mixed
		c.say(v, 127)
		m.Tick()
	}
	c.say(11, 5)
	m.Tick()
	if got := shared.last(); got < 10 {
		t.Fatalf("new talker's first mixed frame is %d: stale audio replayed", got)
	}
}

type pcmCoders struct{}

func (pcmCoders) NewDecoder() (Decoder, error) { return pcmCodec{}, nil }
func (pcmCoders) NewEncoder() (Encoder, error) { return pcmCodec{}, nil }

// countingCoders counts the coders made, to prove they follow talkers.
type countingCoders struct{ decoders, encoders int }

func (c *countingCoders) NewDecoder() (Decoder, error) { c.decoders++; return pcmCodec{}, nil }
func (c *countingCoders) NewEncoder() (Encoder, error) { c.encoders++; return pcmCodec{}, nil }

func TestCodersFollowTalkersNotParticipants(t *testing.T) {
	coders := &countingCoders{}
	m, err := New(Config{TopK: 3, Frame: frame, Threshold: 60, HoldTicks: 2}, coders, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	var members []*member
	for i := 0; i < 50; i++ {
		mb := &member{out: &capture{}}
		mb.p = NewParticipant("p", mb.out, func(bool) {})
		m.Add(mb.p)
		members = append(members, mb)
	}
	// Talkers rotate through 10 people, three at a time, for 40 s of ticks.
	for tick := 0; tick < 2000; tick++ {
		first := (tick / 200) % 10
		for i, mb := range members {
			level := uint8(127)
			if i >= first && i < first+3 {
				level = 10
			}
			mb.say(1, level)
		}
		m.Tick()
	}
	if coders.decoders > 2*3+3 || coders.encoders > 1+2*3+3 {
		t.Fatalf("made %d decoders and %d encoders for 3 talkers at a time", coders.decoders, coders.encoders)
	}
}

// TestSilentMixIsNotSent: while nobody talks the shared mix sends nothing
// (DTX); when someone starts, the first packet carries the marker bit, its
// timestamp has moved on by the silent frames and its sequence number
// follows the last packet sent.
func TestSilentMixIsNotSent(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a := newMember(t, m, "a")
	listener := newMember(t, m, "l")
	for range 3 {
		a.say(100, 10)
		listener.say(0, 127)
		m.Tick()
	}
	sentBefore := len(shared.headers)
	if sentBefore == 0 {
		t.Fatal("no shared packet while a talks")
	}
	last := shared.headers[sentBefore-1]
	const idle = 50
	for range idle {
		listener.say(0, 127)
		m.Tick()
	}
	// After the talker's hold runs out: one keep-alive frame per 400 ms.
	want := m.cfg.HoldTicks + 1 + (idle-m.cfg.HoldTicks)/dtxEvery
	if got := len(shared.headers) - sentBefore; got > want {
		t.Fatalf("%d shared packets in %d idle ticks, want at most %d (DTX)", got, idle, want)
	}
	if got := len(shared.headers) - sentBefore; got < idle/dtxEvery {
		t.Fatalf("%d shared packets in %d idle ticks: no DTX keep-alive every %d frames", got, idle, dtxEvery)
	}
	last = shared.headers[len(shared.headers)-1]
	gapStart := len(shared.headers)
	for range 3 {
		a.say(100, 10)
		listener.say(0, 127)
		m.Tick()
	}
	if len(shared.headers) == gapStart {
		t.Fatal("nothing sent after a started talking again")
	}
	first := shared.headers[gapStart]
	if !first.Marker {
		t.Error("first packet after silence has no marker bit")
	}
	if first.SequenceNumber != last.SequenceNumber+1 {
		t.Errorf("sequence %d after %d: a gap in sequence numbers reads as loss", first.SequenceNumber, last.SequenceNumber)
	}
	if dt := first.Timestamp - last.Timestamp; dt <= frame {
		t.Errorf("timestamp moved %d over the silence, want more than one frame", dt)
	}
	if shared.headers[len(shared.headers)-1].Marker && len(shared.headers)-gapStart > 1 {
		t.Error("marker set on a packet that does not follow silence")
	}
}

// A talker muted by a moderator leaves the mix at the next tick, not after
// the hysteresis that keeps talkers through a pause.
func TestMutingATalkerTakesThemOutAtOnce(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a, b := newMember(t, m, "a"), newMember(t, m, "b")
	for i := 0; i < 3; i++ {
		a.say(100, 10)
		b.say(50, 10)
		m.Tick()
	}
	if shared.last() != 150 {
		t.Fatalf("shared %d before the mute, want 150", shared.last())
	}
	b.p.SetMuted(true)
	a.say(100, 10)
	b.say(50, 10)
	m.Tick()
	if shared.last() != 100 || b.p.Talker() || !b.p.Muted() {
		t.Fatalf("shared %d right after b was muted, want 100", shared.last())
	}
	b.p.SetMuted(false)
	for i := 0; i < 3; i++ {
		a.say(100, 10)
		b.say(50, 10)
		m.Tick()
	}
	if shared.last() != 150 {
		t.Fatalf("shared %d after the unmute, want 150", shared.last())
	}
}

// An announcement is heard by everyone: it is in the shared mix of a
// silent room and in a talker's own mix-minus, frame by frame, and then
// it is over.
func TestAnnouncementIsMixedForEveryone(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	a := newMember(t, m, "a")
	_ = newMember(t, m, "b")
	tone := []int16{7, 7, 7, 7, 9, 9, 9, 9}
	m.Announce(tone)
	m.Tick()
	if shared.last() != 7 {
		t.Fatalf("shared %d in a silent room, want the announcement's 7", shared.last())
	}
	for i := 0; i < 3; i++ {
		a.say(100, 10)
		m.Tick()
	}
	m.Announce(tone)
	want := []struct{ shared, a int16 }{{107, 7}, {109, 9}, {100, 9}} // then a hears silence: nothing sent
	for i, w := range want {
		a.say(100, 10)
		m.Tick()
		if shared.last() != w.shared || a.out.last() != w.a {
			t.Fatalf("tick %d: shared %d, a hears %d; want %d and %d", i, shared.last(), a.out.last(), w.shared, w.a)
		}
	}
}
