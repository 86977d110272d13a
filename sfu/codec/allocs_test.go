package codec

import "testing"

// hotPath is one per-frame operation and the allocations it may make.
type hotPath struct {
	name string
	run  func()
	// libAllocs is what the library itself allocates per call (0 unless
	// known, see gopusAllocs); our code adds none.
	libAllocs float64
}

// gopusAllocs lists gopus v0.1.1's own per-call allocations in these
// benchmark streams (VoIP 32 kb/s mono, hybrid mode): encoding with FEC
// clones SILK's NSQ state (5 allocs, ~12 KB); SILK/hybrid concealment
// allocates in ConcealSILKWithLTP and decodePLC; LBRR decoding in
// silk.DecodeFEC and ParsePacket. libopus allocates nothing.
var gopusAllocs = map[string]float64{
	"gopus encode fec":           5,
	"gopus decode+plc":           5,
	"gopus decode+loss(no lbrr)": 5,
	"gopus loss(lbrr)+decode":    3,
}

func opusHotPaths(t *testing.T) []hotPath {
	var paths []hotPath
	pcm := benchVoice()[:OpusFrameSamples]
	for _, impl := range opusImpls {
		enc, fecEnc := newBenchEncoder(t, impl, 0), newBenchEncoder(t, impl, 10)
		pkts, fecPkts := opusBenchPackets(t, enc), opusBenchPackets(t, fecEnc)
		dec, err := impl.newDec(OpusSampleRate, 1)
		if err != nil {
			t.Fatal(err)
		}
		out, buf := make([]byte, MaxOpusPayload), make([]int16, OpusFrameSamples)
		i := 0
		next := func(p [][]byte) []byte { i++; return p[i%len(p)] }
		for _, p := range []hotPath{
			{name: "encode", run: func() { _, _ = enc.Encode(pcm, out) }},
			{name: "encode fec", run: func() { _, _ = fecEnc.Encode(pcm, out) }},
			{name: "decode", run: func() { _, _ = dec.Decode(next(pkts), buf) }},
			{name: "decode+plc", run: func() {
				_, _ = dec.Decode(next(pkts), buf)
				_, _ = dec.DecodeLoss(nil, buf)
			}},
			{name: "decode+loss(no lbrr)", run: func() {
				_, _ = dec.Decode(next(pkts), buf)
				_, _ = dec.DecodeLoss(next(pkts), buf)
			}},
			{name: "loss(lbrr)+decode", run: func() {
				p := next(fecPkts)
				_, _ = dec.DecodeLoss(p, buf)
				_, _ = dec.Decode(p, buf)
			}},
		} {
			p.name = impl.name + " " + p.name
			p.libAllocs = gopusAllocs[p.name]
			paths = append(paths, p)
		}
	}
	return paths
}

func g711HotPaths() []hotPath {
	var paths []hotPath
	pcm := benchVoice()[:G711FrameSamples]
	for _, c := range g711Codecs {
		enc, dec := c.newEnc(), c.newDec()
		payload, buf := make([]byte, G711FrameSamples), make([]int16, G711FrameSamples)
		paths = append(paths,
			hotPath{name: c.name + " encode", run: func() { _, _ = enc.Encode(pcm, payload) }},
			hotPath{name: c.name + " decode", run: func() { _, _ = dec.Decode(payload, buf) }},
			hotPath{name: c.name + " loss", run: func() { _, _ = dec.DecodeLoss(nil, buf) }},
		)
	}
	var r Resampler
	in48, out8, out48 := benchVoice()[:OpusFrameSamples], make([]int16, G711FrameSamples), make([]int16, OpusFrameSamples)
	return append(paths,
		hotPath{name: "downsample", run: func() { r.Downsample48to8(out8, in48) }},
		hotPath{name: "upsample", run: func() { r.Upsample8to48(out48, out8) }},
	)
}

// Our per-frame code allocates nothing; the libraries only what
// gopusAllocs records, so a regression in either shows up here.
func TestNoAllocs(t *testing.T) {
	for _, p := range append(opusHotPaths(t), g711HotPaths()...) {
		p.run() // warm up lazily sized buffers
		got := testing.AllocsPerRun(100, p.run)
		if got > 0 {
			t.Logf("%s: %.1f allocs per call (library: %.0f known)", p.name, got, p.libAllocs)
		}
		if got > p.libAllocs {
			t.Errorf("%s: %.1f allocs per call, want ≤ %.0f", p.name, got, p.libAllocs)
		}
	}
}
