package recorder

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// ebml is a parsed element: its id, payload and children (for masters).
type ebml struct {
	id       uint32
	data     []byte
	children []ebml
}

var masters = map[uint32]bool{idEBML: true, idSegment: true, idInfo: true, idTracks: true, idTrackEntry: true, idVideo: true, idCluster: true}

// parseEBML reads elements until data ends; sizes must fit.
func parseEBML(t *testing.T, data []byte) []ebml {
	t.Helper()
	var out []ebml
	for len(data) > 0 {
		id, n := readVint(data, true)
		data = data[n:]
		size, m := readVint(data, false)
		data = data[m:]
		if size > uint64(len(data)) {
			t.Fatalf("element %x: size %d beyond the %d bytes left", id, size, len(data))
		}
		e := ebml{id: uint32(id), data: data[:size]}
		if masters[e.id] {
			e.children = parseEBML(t, e.data)
		}
		out = append(out, e)
		data = data[size:]
	}
	return out
}

func readVint(b []byte, keepMarker bool) (uint64, int) {
	l := 1
	for l <= 8 && b[0]&(0x80>>(l-1)) == 0 {
		l++
	}
	v := uint64(b[0])
	if !keepMarker {
		v &= uint64(0xff >> l)
	}
	for i := 1; i < l; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, l
}

func find(es []ebml, id uint32) []ebml {
	var out []ebml
	for _, e := range es {
		if e.id == id {
			out = append(out, e)
		}
	}
	return out
}

func uintOf(e ebml) uint64 {
	var v uint64
	for _, b := range e.data {
		v = v<<8 | uint64(b)
	}
	return v
}

// vp8Frame builds a VP8 frame: a key frame starts with the 10-byte header
// that carries its size; mark tells frames apart.
func vp8Frame(key bool, w, h int, mark byte, size int) []byte {
	f := make([]byte, size)
	for i := range f {
		f[i] = mark
	}
	if key {
		copy(f, []byte{0x00, 0, 0, 0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8)})
	} else {
		f[0] = 0x01
	}
	return f
}

// packetize splits a frame into RTP packets with a 1-byte descriptor, or
// the extended one with a 15-bit picture id when ext is set.
func packetize(f []byte, seq *uint16, ts uint32, mtu int, ext bool) []*rtp.Packet {
	var out []*rtp.Packet
	for off := 0; off < len(f); off += mtu {
		end := min(off+mtu, len(f))
		desc := []byte{0}
		if ext {
			desc = []byte{0x80, 0x80, 0x80 | byte(*seq>>8), byte(*seq)}
		}
		if off == 0 {
			desc[0] |= 0x10
		}
		*seq++
		out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: *seq, Timestamp: ts, Marker: end == len(f)},
			Payload: append(desc, f[off:end]...)})
	}
	return out
}

// Video from two senders goes into one WebM file: frames are rebuilt from
// their packets, a frame with a lost packet and the frames after it wait
// for the next key frame, a new sender starts at its key frame, and the
// file's segment size and duration are patched when it closes.
func TestVideoBecomesWebM(t *testing.T) {
	dir := t.TempDir()
	rec, err := Start(Config{Dir: dir, Room: "801", Started: time.Now(), Silence: []byte{31 << 3}})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint16
	var want [][]byte // frames expected in the file, in order
	send := func(source uint32, f []byte, ts uint32, drop int, ext bool) {
		for i, p := range packetize(f, &seq, ts, 300, ext) {
			if i != drop {
				rec.WriteVideo(source, p)
			}
		}
		settle(t, rec)
	}
	// Sender 1: a delta frame before any key frame (skipped), a key frame, deltas.
	send(1, vp8Frame(false, 0, 0, 'x', 500), 0, -1, false)
	for i := range 4 {
		f := vp8Frame(i == 0, 320, 240, byte('a'+i), 900)
		send(1, f, uint32(3000*(i+1)), -1, false)
		want = append(want, f)
	}
	// A delta frame loses a packet: it and the next delta are not written.
	send(1, vp8Frame(false, 0, 0, 'y', 900), 15000, 1, false)
	send(1, vp8Frame(false, 0, 0, 'z', 900), 18000, -1, false)
	// Sender 2 (the new speaker) with extended descriptors: a delta first
	// (skipped), then its key frame in another size, then a delta.
	send(2, vp8Frame(false, 0, 0, 'q', 400), 900000, -1, true)
	for i := range 2 {
		f := vp8Frame(i == 0, 640, 360, byte('m'+i), 700)
		send(2, f, uint32(903000+3000*i), -1, true)
		want = append(want, f)
	}
	info, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if !info.Video {
		t.Fatal("no video written")
	}
	data, err := os.ReadFile(filepath.Join(dir, info.Name+".webm"))
	if err != nil {
		t.Fatal(err)
	}
	top := parseEBML(t, data)
	if len(top) != 2 || top[0].id != idEBML || top[1].id != idSegment {
		t.Fatalf("top level: %d elements", len(top))
	}
	if dt := find(top[0].children, idDocType); len(dt) != 1 || string(dt[0].data) != "webm" {
		t.Fatal("doc type is not webm")
	}
	seg := top[1].children
	track := find(find(find(seg, idTracks)[0].children, idTrackEntry)[0].children, idVideo)[0].children
	if uintOf(find(track, idPixelWidth)[0]) != 320 || uintOf(find(track, idPixelHeight)[0]) != 240 {
		t.Fatal("track size is not the first key frame's")
	}
	var blocks [][]byte
	var keys []bool
	lastMS := int64(-1)
	for _, c := range find(seg, idCluster) {
		base := int64(uintOf(find(c.children, idTimecode)[0]))
		for _, b := range find(c.children, idSimpleBlock) {
			ms := base + int64(int16(binary.BigEndian.Uint16(b.data[1:])))
			if b.data[0] != 0x81 || ms < lastMS {
				t.Fatalf("block on track %x at %d ms after %d ms", b.data[0], ms, lastMS)
			}
			lastMS = ms
			blocks, keys = append(blocks, b.data[4:]), append(keys, b.data[3]&0x80 != 0)
		}
	}
	if len(blocks) != len(want) {
		t.Fatalf("%d frames written, want %d", len(blocks), len(want))
	}
	for i := range want {
		if string(blocks[i]) != string(want[i]) || keys[i] != (want[i][0]&1 == 0) {
			t.Fatalf("frame %d differs (key %v)", i, keys[i])
		}
	}
	dur := math.Float64frombits(binary.BigEndian.Uint64(find(find(seg, idInfo)[0].children, idDuration)[0].data))
	if dur != float64(lastMS+33) {
		t.Fatalf("duration %.0f ms, last frame at %d ms", dur, lastMS)
	}
	if listed, _ := List(dir); len(listed) != 1 || !listed[0].Video || listed[0].Size != info.Size {
		t.Fatalf("listed %+v, want one recording with video of %d bytes", listed, info.Size)
	}
}
