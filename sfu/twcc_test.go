package sfu

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"

	"xphone/sfu/bwe"
)

// extRecorder keeps the transport-wide number each written packet carried.
type extRecorder struct {
	id   uint8
	seqs []uint16
}

func (r *extRecorder) WriteRTP(p *rtp.Packet) error {
	if b := p.GetExtension(r.id); len(b) == 2 {
		r.seqs = append(r.seqs, binary.BigEndian.Uint16(b))
	}
	return nil
}

// TestDownTrackStampsTransportWideNumbers: two tracks of one leg number
// their packets from one counter (transport-wide), with the negotiated
// extension id, and the source packet is given back unchanged.
func TestDownTrackStampsTransportWideNumbers(t *testing.T) {
	hist := &bwe.History{}
	audioOut, videoOut := &extRecorder{id: 5}, &extRecorder{id: 5}
	audio := NewDownTrack(Audio, "audio/opus", audioOut, nil)
	video := NewDownTrack(Video, "video/VP8", videoOut, nil)
	audio.setTWCC(hist, 5)
	video.setTWCC(hist, 5)
	a, v := NewUpTrack("a", Audio, "audio/opus"), NewUpTrack("v", Video, "video/VP8")
	a.Subscribe(audio)
	v.Subscribe(video)
	audio.SetSource(a)
	video.SetSource(v)
	ap := opusPacket(1, 0, opus20ms)
	_ = ap.SetExtension(1, []byte{0x90})
	vp := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1}, Payload: []byte{0x10, 0x00}}
	a.Forward(ap)
	v.Forward(vp)
	a.Forward(ap)
	if len(audioOut.seqs) != 2 || len(videoOut.seqs) != 1 {
		t.Fatalf("stamped audio %v video %v", audioOut.seqs, videoOut.seqs)
	}
	if got := []uint16{audioOut.seqs[0], videoOut.seqs[0], audioOut.seqs[1]}; got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("transport-wide numbers %v, want 0 1 2 across the leg's tracks", got)
	}
	if len(ap.Extensions) != 1 || ap.GetExtension(1)[0] != 0x90 || ap.GetExtension(5) != nil {
		t.Fatalf("source packet changed: %+v", ap.Header)
	}
}

// BenchmarkForwardTWCC is the forward step with transport-wide numbering.
func BenchmarkForwardTWCC(b *testing.B) {
	up := NewUpTrack("a", Audio, "audio/opus")
	down := NewDownTrack(Audio, "audio/opus", discard{}, nil)
	down.setTWCC(&bwe.History{}, 5)
	up.Subscribe(down)
	down.SetSource(up)
	p := opusPacket(1, 0, opus20ms)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SequenceNumber++
		p.Timestamp += 960
		up.Forward(p)
	}
}
