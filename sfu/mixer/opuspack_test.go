package mixer

import (
	"bytes"
	"testing"
)

func TestPackFramesCode3(t *testing.T) {
	a := append([]byte{0x78}, bytes.Repeat([]byte{1}, 10)...)
	b := append([]byte{0x78}, bytes.Repeat([]byte{2}, 300)...) // two-byte length if it came first
	dst := make([]byte, 1500)
	n, ok := packFrames(dst, [][]byte{b, a})
	if !ok {
		t.Fatal("two frames of one configuration not packed")
	}
	// TOC with code 3, VBR count 2, 300 coded as 252+0, (300-252)/4 = 12.
	want := append([]byte{0x7b, 0x82, 252, 12}, append(b[1:], a[1:]...)...)
	if !bytes.Equal(dst[:n], want) {
		t.Fatalf("packed % x…, want % x…", dst[:8], want[:8])
	}
	if _, ok := packFrames(dst, [][]byte{a, {0x80, 1}}); ok {
		t.Error("frames of different TOC configurations packed together")
	}
	if _, ok := packFrames(dst[:100], [][]byte{a, b}); ok {
		t.Error("packed into a buffer too small")
	}
}
