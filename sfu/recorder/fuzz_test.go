package recorder

import "testing"

// FuzzVP8Frames feeds arbitrary packets (what a browser sends is outside
// input) to the frame gatherer: it must never panic or return a frame
// bigger than what went in.
func FuzzVP8Frames(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0}, uint16(1), uint32(0), true)
	f.Add([]byte{0x90, 0xe0, 0x80, 0x01, 0x02, 0x03}, uint16(2), uint32(9), false)
	f.Add([]byte{0x80}, uint16(3), uint32(0), true)
	v := newVP8Frames()
	total := 0
	f.Fuzz(func(t *testing.T, payload []byte, seq uint16, ts uint32, marker bool) {
		total += len(payload)
		frame, _, ok := v.push(seq, ts, marker, payload)
		if ok && len(frame) > total {
			t.Fatalf("frame of %d bytes from %d bytes in", len(frame), total)
		}
		if ok {
			total = 0
			_, _, _ = vp8Size(frame)
		}
	})
}

// FuzzReadOggOpus parses arbitrary bytes as a recording: errors, never a panic.
func FuzzReadOggOpus(f *testing.F) {
	var m memFile
	o := newOggWriter(&m, 1)
	_ = o.headers(1, []string{"A=b"})
	_ = o.packet([]byte{31 << 3, 1, 2}, 960)
	_ = o.close()
	f.Add(m.data)
	f.Add([]byte("OggS"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadOggOpus(data)
		_, _ = lastGranule(data)
	})
}
