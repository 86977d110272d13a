package audiolevel

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultParamsValid(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Params)
		fields []string // YAML keys the error must name
	}{
		{"threshold 127", func(p *Params) { p.Threshold = 127 }, []string{"threshold"}},
		{"zero window", func(p *Params) { p.Window = 0 }, []string{"window"}},
		{"negative min_talk", func(p *Params) { p.MinTalk = -time.Millisecond }, []string{"min_talk"}},
		{"huge switch_hold", func(p *Params) { p.SwitchHold = time.Hour }, []string{"switch_hold"}},
		{"zero release", func(p *Params) { p.Release = 0 }, []string{"release"}},
		{"margin 200", func(p *Params) { p.Margin = 200 }, []string{"margin"}},
		{"all reported", func(p *Params) { *p = Params{Threshold: 127} },
			[]string{"threshold", "window", "release"}},
		{"zero min_talk ok", func(p *Params) { p.MinTalk = 0 }, nil},
		{"zero switch_hold ok", func(p *Params) { p.SwitchHold = 0 }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.mutate(&p)
			err := p.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrParams) {
				t.Fatalf("error %v does not wrap ErrParams", err)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f+" is ") {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
			if s := p.sanitized(); s.Validate() != nil {
				t.Errorf("sanitized params still invalid: %v", s.Validate())
			}
		})
	}
}

func TestZeroParamsMeanDefaults(t *testing.T) {
	if got := NewDetector(Params{}).p; got != DefaultParams() {
		t.Fatalf("NewDetector(Params{}) uses %+v", got)
	}
	if got := *NewMeter(Params{}).paramsOrDefault(); got != DefaultParams() {
		t.Fatalf("NewMeter(Params{}) uses %+v", got)
	}
}

func TestSanitizedKeepsValidFields(t *testing.T) {
	p := Params{Threshold: 40, Window: time.Second, Release: 0, Margin: 3}
	s := p.sanitized()
	want := Params{Threshold: 40, Window: time.Second, Release: DefaultParams().Release, Margin: 3}
	if s != want {
		t.Fatalf("sanitized = %+v, want %+v", s, want)
	}
}
