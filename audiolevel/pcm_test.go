package audiolevel

import (
	"math"
	"testing"
)

// sine returns n samples of a 1 kHz sine at 48 kHz peaking at dBFS
// (0 dBFS = 32767), a whole number of periods so its RMS is exact.
func sine(dbfs float64, n int) []int16 {
	peak := 32767 * math.Pow(10, dbfs/20)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(peak * math.Sin(2*math.Pi*1000*float64(i)/48000)))
	}
	return out
}

func TestFromPCM(t *testing.T) {
	click := make([]int16, 960)
	click[480] = 32767
	square := make([]int16, 960)
	for i := range square {
		square[i] = -32768
	}
	tests := []struct {
		name string
		in   []int16
		want uint8
	}{
		{"full-scale sine", sine(0, 960), 3},
		{"sine -6 dBFS", sine(-6, 960), 9},
		{"sine -20 dBFS", sine(-20, 960), 23},
		{"sine -40 dBFS", sine(-40, 960), 43},
		{"sine -60 dBFS", sine(-60, 960), 63},
		{"sine -100 dBFS rounds to zero samples", sine(-100, 960), Silence},
		{"all zero", make([]int16, 960), Silence},
		{"empty", nil, Silence},
		{"single click in 20 ms", click, 30},
		{"full-scale square clamps to 0", square, 0},
		{"one LSB in 960 samples", append(make([]int16, 959), 1), 120},
		{"10 ms frame", sine(-20, 480), 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromPCM(tt.in); got != tt.want {
				t.Fatalf("FromPCM = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFromPCMAllocs(t *testing.T) {
	frame := sine(-20, 960)
	if n := testing.AllocsPerRun(100, func() { FromPCM(frame) }); n != 0 {
		t.Fatalf("FromPCM allocates %v times", n)
	}
}

func BenchmarkFromPCM960(b *testing.B) {
	frame := sine(-20, 960)
	b.ReportAllocs()
	for b.Loop() {
		FromPCM(frame)
	}
}
