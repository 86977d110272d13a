package sfu

import "testing"

// settingsEncoder records the settings an encoder was given.
type settingsEncoder struct {
	bitrate, complexity int
	calls               int
}

func (e *settingsEncoder) Encode([]int16, []byte) (int, error) { return 0, nil }
func (e *settingsEncoder) SetBitrate(bps int) error            { e.bitrate = bps; return nil }
func (e *settingsEncoder) SetComplexity(c int) error {
	e.complexity, e.calls = c, e.calls+1
	return nil
}

// Complexity 0 is applied as 0 (policy.mixer.complexity: 0 used to leave
// the library's default, 9 or 10: the most expensive setting, not the
// cheapest); a zero bitrate leaves the library's automatic one.
func TestOpusCodecsApplySettingsAsWritten(t *testing.T) {
	for _, tt := range []struct {
		codecs                  OpusCodecs
		wantBitrate, wantComplx int
	}{
		{OpusCodecs{Bitrate: 24000, Complexity: 0}, 24000, 0},
		{OpusCodecs{Bitrate: 48000, Complexity: 10}, 48000, 10},
		{OpusCodecs{}, 0, 0},
	} {
		e := &settingsEncoder{complexity: -1}
		if err := tt.codecs.Tune(e); err != nil {
			t.Fatal(err)
		}
		if e.calls != 1 || e.complexity != tt.wantComplx || e.bitrate != tt.wantBitrate {
			t.Errorf("%+v: encoder set to bitrate %d, complexity %d (%d calls); want %d, %d",
				tt.codecs, e.bitrate, e.complexity, e.calls, tt.wantBitrate, tt.wantComplx)
		}
	}
	if _, err := (OpusCodecs{Bitrate: 16000, Complexity: 0}).NewEncoder(); err != nil {
		t.Fatalf("complexity 0 refused by the build's encoder: %v", err)
	}
	if _, err := (OpusCodecs{Complexity: 11}).NewEncoder(); err == nil {
		t.Fatal("complexity 11 accepted")
	}
}
