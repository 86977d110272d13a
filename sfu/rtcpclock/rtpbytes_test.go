package rtcpclock

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

func marshalWithExtensions(t testing.TB, profile uint16, csrcs int, exts map[uint8][]byte) []byte {
	t.Helper()
	h := rtp.Header{Version: 2, SequenceNumber: 7, Timestamp: 9, CSRC: make([]uint32, csrcs)}
	if len(exts) > 0 {
		h.Extension, h.ExtensionProfile = true, profile
		for id, v := range exts {
			if err := h.SetExtension(id, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := (&rtp.Packet{Header: h, Payload: []byte{1, 2, 3}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRTPExtensionFindsOneAndTwoByteExtensions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile uint16
		csrcs   int
	}{{"one-byte", 0xbede, 0}, {"one-byte after CSRCs", 0xbede, 2}, {"two-byte", 0x1000, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			b := marshalWithExtensions(t, tc.profile, tc.csrcs, map[uint8][]byte{1: {0x85}, 5: {0x01, 0x02}, 9: {1, 2, 3, 4}})
			for id, want := range map[uint8][]byte{1: {0x85}, 5: {0x01, 0x02}, 9: {1, 2, 3, 4}} {
				if got, ok := rtpExtension(b, id); !ok || !bytes.Equal(got, want) {
					t.Fatalf("extension %d = %x %v, want %x", id, got, ok, want)
				}
			}
			if _, ok := rtpExtension(b, 3); ok {
				t.Fatal("found an extension that is not there")
			}
			if seq, ts, ok := rtpSeqTS(b); !ok || seq != 7 || ts != 9 {
				t.Fatalf("seq %d ts %d ok %v, want 7 9", seq, ts, ok)
			}
		})
	}
	if _, ok := rtpExtension(marshalWithExtensions(t, 0, 0, nil), 1); ok {
		t.Fatal("found an extension in a packet without any")
	}
}

// Whatever arrives, the parser never reads out of bounds and agrees with
// pion's full header parser on every RTP version 2 packet pion accepts.
func FuzzRTPExtension(f *testing.F) {
	f.Add(marshalWithExtensions(f, 0xbede, 1, map[uint8][]byte{5: {1, 2}}), uint8(5))
	f.Add(marshalWithExtensions(f, 0x1000, 0, map[uint8][]byte{3: {1, 2, 3}}), uint8(3))
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, id uint8) {
		got, ok := rtpExtension(b, id)
		var h rtp.Header
		if _, err := h.Unmarshal(b); err != nil || h.Version != 2 || id == 0 || id > 14 && h.ExtensionProfile == 0xbede {
			return
		}
		if h.ExtensionProfile&0xfff0 == 0x1000 && h.ExtensionProfile != 0x1000 {
			return // two-byte form with app bits (RFC 8285 §4.3): pion does not parse it
		}
		want := h.GetExtension(id)
		if ok != (want != nil) || !bytes.Equal(got, want) {
			t.Fatalf("extension %d: ours %x %v, pion's %x", id, got, ok, want)
		}
	})
}
