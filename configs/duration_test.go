package configs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"30s", 30 * time.Second, ""},
		{"15m", 15 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"0", 0, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{"-5s", 0, "negative"},
		{"30", 0, "unit"},
		{"soon", 0, "unit"},
		{"", 0, "unit"},
		{"1x", 0, "unit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrDuration) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrDuration containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.D() != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    time.Duration
		wantErr string
	}{
		{"plain", "d: 1h30m", 90 * time.Minute, ""},
		{"quoted", `d: "45s"`, 45 * time.Second, ""},
		{"negative", "d: -1s", 0, "line 1"},
		{"garbage", "d: abc", 0, "abc"},
		{"mapping", "d: {a: 1}", 0, "want a scalar"},
		{"sequence", "d:\n  - 1s", 0, "want a scalar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				D Duration `yaml:"d"`
			}
			err := yaml.Unmarshal([]byte(tt.doc), &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || v.D.D() != tt.want {
				t.Fatalf("got %v, %v; want %v", v.D, err, tt.want)
			}
		})
	}
}

func TestDurationRoundTrip(t *testing.T) {
	in := struct {
		D Duration `yaml:"d"`
	}{Duration(90 * time.Minute)}
	out, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "d: 1h30m0s" {
		t.Fatalf("marshal = %q", out)
	}
	in.D = 0
	if err := yaml.Unmarshal(out, &in); err != nil || in.D.D() != 90*time.Minute {
		t.Fatalf("round trip = %v, %v", in.D, err)
	}
}
