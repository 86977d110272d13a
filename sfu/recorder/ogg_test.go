package recorder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// The mix goes in as the mixer sends it (one frame per packet, timestamps
// by frame count, nothing while the room is silent) and comes out as an
// Ogg Opus file whose timeline is the meeting's: the gap is silence of the
// right length, and the tones are where they were.
func TestMixBecomesOggOpusOnTheMeetingsTimeline(t *testing.T) {
	dir := t.TempDir()
	src := newToneSource(t)
	silence := src.frame(0)
	started := time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)
	rec, err := Start(Config{Dir: dir, Room: "800", Started: started, Silence: silence, Comments: []string{"ROOM=800"}})
	if err != nil {
		t.Fatal(err)
	}
	// 1 s of 440 Hz, 0.5 s of nothing sent, 1 s of 880 Hz.
	var seq uint16
	for n := range 125 {
		ts := uint32(1000*frameSamples + n*frameSamples) // the mixer's clock does not start at 0
		switch {
		case n < 50:
			seq++
			rec.WriteAudio(audioPacket(seq, ts, src.frame(440)))
		case n >= 75:
			seq++
			rec.WriteAudio(audioPacket(seq, ts, src.frame(880)))
		}
		if n%40 == 0 {
			settle(t, rec)
		}
	}
	info, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration != 2500*time.Millisecond || info.Video || info.Room != "800" {
		t.Fatalf("info %+v, want 2.5 s of audio only in room 800", info)
	}
	data, err := os.ReadFile(filepath.Join(dir, info.Name+".ogg"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != info.Size {
		t.Fatalf("size %d, file has %d bytes", info.Size, len(data))
	}
	o, err := ReadOggOpus(data)
	if err != nil {
		t.Fatal(err)
	}
	if !o.EOS || o.Channels != 1 || o.PreSkip != oggPreSkip || o.Duration() != 2.5 || len(o.Comments) != 1 || o.Comments[0] != "ROOM=800" {
		t.Fatalf("file: eos %v, %d channels, pre-skip %d, %.3f s, comments %q", o.EOS, o.Channels, o.PreSkip, o.Duration(), o.Comments)
	}
	pcm := decodeAll(t, o)
	window := func(from, to float64) []int16 { return pcm[int(from*48000):int(to*48000)] }
	checks := []struct {
		what     string
		from, to float64
		freq     float64
		present  bool
	}{
		{"440 Hz first", 0.1, 0.9, 440, true}, {"no 880 Hz first", 0.1, 0.9, 880, false},
		{"silence in the gap", 1.1, 1.4, 440, false}, {"silence in the gap", 1.1, 1.4, 880, false},
		{"880 Hz after", 1.6, 2.4, 880, true}, {"no 440 Hz after", 1.6, 2.4, 440, false},
	}
	for _, c := range checks {
		db := sfutest.ToneDB(window(c.from, c.to), c.freq)
		if c.present && db < -20 || !c.present && db > -45 {
			t.Errorf("%s: %.0f Hz at %.1f dB in %.1f–%.1f s", c.what, c.freq, db, c.from, c.to)
		}
	}
	if got, err := List(dir); err != nil || len(got) != 1 || got[0].Duration != 2500*time.Millisecond || got[0].Size != info.Size || !got[0].Started.Equal(started) {
		t.Fatalf("listed %+v, %v", got, err)
	}
}

// A packet bigger than 255 bytes spans lacing values, and pages break
// before 255 of them; the reader gets every packet back whole.
func TestOggLacingAndPageBreaks(t *testing.T) {
	var f memFile
	o := newOggWriter(&f, 7)
	if err := o.headers(1, nil); err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for i, size := range []int{0, 1, 254, 255, 256, 510, 1000, 1275} {
		p := make([]byte, size)
		for j := range p {
			p[j] = byte(i + j)
		}
		if size > 0 {
			p[0] = 31 << 3 // a CELT 20 ms TOC
		}
		want = append(want, p)
	}
	for range 40 { // more lacing values than one page holds
		want = append(want, want[7])
	}
	for _, p := range want {
		if err := o.packet(p, 960); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadOggOpus(f.data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Packets) != len(want) {
		t.Fatalf("%d packets back, want %d", len(got.Packets), len(want))
	}
	for i := range want {
		if string(got.Packets[i]) != string(want[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if got.Granule != oggPreSkip+int64(len(want))*960 {
		t.Fatalf("granule %d", got.Granule)
	}
	f.data[100] ^= 0xff
	if _, err := ReadOggOpus(f.data); err == nil {
		t.Fatal("a damaged page was read")
	}
}
