package codec

import "testing"

// TestOpusPacketSamples: every mode's frame sizes and the frame-count codes.
func TestOpusPacketSamples(t *testing.T) {
	for _, tc := range []struct {
		p    []byte
		want uint32
	}{
		{[]byte{0xfc}, 960},        // config 31: CELT 20 ms, one frame
		{[]byte{0x80}, 120},        // config 16: CELT 2.5 ms
		{[]byte{0x78}, 960},        // config 15: hybrid 20 ms
		{[]byte{0x70}, 480},        // config 14: hybrid 10 ms
		{[]byte{0x61}, 960},        // config 12: hybrid 10 ms, two frames
		{[]byte{0x08 | 1}, 1920},   // config 1: SILK 20 ms, two frames
		{[]byte{0x08 | 2}, 1920},   // config 1: SILK 20 ms, two frames of different sizes
		{[]byte{0x18, 0x00}, 2880}, // config 3: SILK 60 ms
		{[]byte{0xfb, 0x03}, 2880}, // CELT 20 ms, code 3, three frames
		{[]byte{0xfb}, 0},          // code 3 without count
		{nil, 0},
	} {
		if got := OpusPacketSamples(tc.p); got != tc.want {
			t.Errorf("OpusPacketSamples(%x) = %d, want %d", tc.p, got, tc.want)
		}
	}
}
