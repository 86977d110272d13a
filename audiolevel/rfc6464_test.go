package audiolevel

import (
	"errors"
	"testing"
)

func TestParseExtension(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		level   uint8
		voice   bool
		wantErr error
	}{
		{"loud voice", []byte{0x80 | 3}, 3, true, nil},
		{"silence no voice", []byte{127}, 127, false, nil},
		{"padding ignored", []byte{0x80 | 40, 0, 0}, 40, true, nil},
		{"empty", nil, Silence, false, ErrShortExtension},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, voice, err := ParseExtension(tt.in)
			if !errors.Is(err, tt.wantErr) || level != tt.level || voice != tt.voice {
				t.Fatalf("ParseExtension(%v) = %d,%v,%v want %d,%v,%v", tt.in, level, voice, err, tt.level, tt.voice, tt.wantErr)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for level := 0; level <= 140; level++ {
		for _, voice := range []bool{false, true} {
			got, gotVoice, err := ParseExtension([]byte{MarshalExtension(uint8(level), voice)})
			want := uint8(min(level, 127))
			if err != nil || got != want || gotVoice != voice {
				t.Fatalf("round trip %d/%v -> %d/%v/%v", level, voice, got, gotVoice, err)
			}
		}
	}
}

func FuzzParseExtension(f *testing.F) {
	f.Add([]byte{0x85})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		level, _, err := ParseExtension(b)
		if err == nil && level > Silence {
			t.Fatalf("level %d out of range", level)
		}
	})
}
