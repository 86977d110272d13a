package codec

import "testing"

// opusImpl is one Opus implementation under test; libopus_test.go adds
// libopus under the build tag.
type opusImpl struct {
	name   string
	newEnc func(sampleRate, channels int, app Application) (Encoder, error)
	newDec func(sampleRate, channels int) (Decoder, error)
}

var opusImpls = []opusImpl{
	{"gopus", NewGopusEncoder, NewGopusDecoder},
}

func TestImplementationMatchesBuild(t *testing.T) {
	if Implementation != buildImplementation {
		t.Fatalf("Implementation = %q, want %q", Implementation, buildImplementation)
	}
	enc, err := NewOpusEncoder(OpusSampleRate, 1, VoIP)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(OpusSampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := implName(enc); got != Implementation {
		t.Fatalf("NewOpusEncoder built %s, want %s", got, Implementation)
	}
	if got := implName(dec); got != Implementation {
		t.Fatalf("NewOpusDecoder built %s, want %s", got, Implementation)
	}
}
