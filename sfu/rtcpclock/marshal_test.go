package rtcpclock

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// pionBytes is what rtcp.Marshal writes for pkts.
func pionBytes(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// TestEncodersMatchPion: every hand encoder writes rtcp.Marshal's bytes.
func TestEncodersMatchPion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		sr := rtcp.SenderReport{SSRC: rng.Uint32(), NTPTime: rng.Uint64(), RTPTime: rng.Uint32(),
			PacketCount: rng.Uint32(), OctetCount: rng.Uint32()}
		sameBytes(t, "SR", appendSenderReport(nil, sr.SSRC, sr.NTPTime, sr.RTPTime, sr.PacketCount, sr.OctetCount),
			pionBytes(t, &sr))
		blocks := make([]rtcp.ReceptionReport, rng.IntN(maxReportBlocks+1))
		for i := range blocks {
			blocks[i] = rtcp.ReceptionReport{SSRC: rng.Uint32(), FractionLost: uint8(rng.Uint32()),
				TotalLost: rng.Uint32N(1 << 24), LastSequenceNumber: rng.Uint32(), Jitter: rng.Uint32(),
				LastSenderReport: rng.Uint32(), Delay: rng.Uint32()}
		}
		rr := rtcp.ReceiverReport{SSRC: rng.Uint32(), Reports: blocks}
		sameBytes(t, "RR", appendReceiverReport(nil, rr.SSRC, blocks), pionBytes(t, &rr))
		pli := rtcp.PictureLossIndication{SenderSSRC: rng.Uint32(), MediaSSRC: rng.Uint32()}
		sameBytes(t, "PLI", AppendPLI(nil, pli.SenderSSRC, pli.MediaSSRC), pionBytes(t, &pli))
		ssrcs := make([]uint32, rng.IntN(4))
		for i := range ssrcs {
			ssrcs[i] = rng.Uint32()
		}
		remb := rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: rng.Uint32(),
			Bitrate: float32(rng.ExpFloat64() * 1e6), SSRCs: ssrcs}
		sameBytes(t, "REMB", AppendREMB(nil, remb.SenderSSRC, remb.Bitrate, ssrcs), pionBytes(t, &remb))
	}
	// A compound appended packet by packet is rtcp.Marshal's compound.
	sr := rtcp.SenderReport{SSRC: 1, NTPTime: 2, RTPTime: 3, PacketCount: 4, OctetCount: 5}
	pli := rtcp.PictureLossIndication{SenderSSRC: 6, MediaSSRC: 7}
	b := appendSenderReport(nil, 1, 2, 3, 4, 5)
	sameBytes(t, "compound", AppendPLI(b, 6, 7), pionBytes(t, &sr, &pli))
}

// seqsFrom turns fuzz bytes into ascending sequence numbers (gaps of
// 1–256, wrapping), as receiveLog.missing lists them.
func seqsFrom(data []byte) []uint16 {
	if len(data) < 2 {
		return nil
	}
	seqs := []uint16{binary.BigEndian.Uint16(data)}
	for _, d := range data[2:] {
		seqs = append(seqs, seqs[len(seqs)-1]+uint16(d)+1)
	}
	return seqs
}

// FuzzNackMatchesPion: a NACK for any ascending run of sequence numbers
// is byte for byte pion's, pairs grouped as NackPairsFromSequenceNumbers
// groups them; beyond the most pion marshals, the first maxNackPairs.
func FuzzNackMatchesPion(f *testing.F) {
	f.Add([]byte{0xff, 0xf0, 0, 0, 3, 15, 16, 200})
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		seqs := seqsFrom(data)
		if len(seqs) == 0 || len(seqs) > 2000 {
			return
		}
		pairs := rtcp.NackPairsFromSequenceNumbers(seqs)
		want := pionBytes(t, &rtcp.TransportLayerNack{SenderSSRC: 9, MediaSSRC: 10,
			Nacks: pairs[:min(len(pairs), maxNackPairs)]})
		sameBytes(t, "NACK", appendNack(nil, 9, 10, seqs), want)
	})
}

// twccOps replays fuzz bytes as arrivals into both recorders, comparing
// their feedback whenever an op asks for it and at the end. Each arrival
// is 3 bytes: a sequence step (int8: loss, reordering, duplicates; 0x7f
// jumps far ahead), a time step of 0.2 ms times its square (up to 13 s) (large values force a new
// feedback packet) and a flag (bit 0: build feedback now).
func twccOps(t *testing.T, data []byte) {
	pion := twcc.NewRecorder(0xfeed)
	ours := twccRecorder{senderSSRC: 0xfeed}
	seq, at := uint16(65000), int64(1e6)
	compare := func() {
		t.Helper()
		var want []byte
		if pkts := pion.BuildFeedbackPacket(); len(pkts) > 0 {
			want = pionBytes(t, pkts...)
		}
		sameBytes(t, "TWCC feedback", ours.appendFeedback(nil), want)
	}
	for ; len(data) >= 3; data = data[3:] {
		step := int8(data[0])
		if step == 0x7f {
			seq += 20000
		} else {
			seq += uint16(int16(step))
		}
		at += int64(data[1]) * int64(data[1]) * 200
		pion.Record(42, seq, at)
		ours.record(42, seq, at)
		if data[2]&1 != 0 {
			compare()
		}
	}
	compare()
}

func FuzzTWCCMatchesPion(f *testing.F) {
	f.Add([]byte{1, 10, 0, 1, 10, 0, 3, 10, 1, 0xff, 5, 0, 2, 200, 1})
	f.Add([]byte{0x7f, 1, 0, 1, 1, 1, 0xf0, 0, 1})
	f.Fuzz(twccOps)
}

// TestTWCCMatchesPion runs long random arrival sequences (loss, bursts,
// reordering, wrap-around, gaps in time) through both recorders.
func TestTWCCMatchesPion(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := make([]byte, 3*3000)
		for i := 0; i < len(data); i += 3 {
			data[i] = 1
			switch r := rng.IntN(100); {
			case r < 8:
				data[i] = byte(2 + rng.IntN(20)) // loss
			case r < 12:
				data[i] = byte(0xff - rng.IntN(5)) // reordered
			case r < 13:
				data[i] = 0 // duplicate
			}
			data[i+1] = byte(rng.IntN(12))
			if rng.IntN(200) == 0 {
				data[i+1] = byte(100 + rng.IntN(156)) // a stall
			}
			if rng.IntN(30) == 0 {
				data[i+2] = 1
			}
		}
		twccOps(t, data)
	}
}
