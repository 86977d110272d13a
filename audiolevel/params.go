package audiolevel

import (
	"errors"
	"fmt"
	"time"
)

// ErrParams is wrapped by every error Params.Validate returns.
var ErrParams = errors.New("audiolevel: invalid speaker parameters")

// Params tune the meters and the dominant-speaker detector. The admin config
// exposes them under policy.speaker with the YAML names in the tags. Start
// from DefaultParams and override what the config sets; the defaults are
// tuned by the tests in this package for 20 ms Opus packets and a detector
// run every 20 ms. Constructors and SetParams treat the zero Params as
// DefaultParams and replace any field Validate rejects by its default.
type Params struct {
	// Threshold is the loudest level, in −dBov, that still counts as speech:
	// a frame is speech when its level ≤ Threshold (0..126). Default 50
	// (−50 dBov): browser speech with AGC sits around 20–45, a quiet room
	// with noise suppression at 60 and above.
	Threshold uint8 `yaml:"threshold"`

	// Window is the time constant of the smoothed level (Activity.Level),
	// an exponential moving average in which time without packets counts
	// as silence. Default 300 ms: slow enough to ride over syllables, fast
	// enough that when one talker hands over to another the levels cross
	// before the newcomer has talked for MinTalk, so turn-taking switches
	// at the MinTalk mark (~260 ms).
	Window time.Duration `yaml:"window"`

	// MinTalk is how much speech a talk run needs before the participant
	// counts as speaking. Gaps inside a run drain this credit as fast as
	// speech fills it, so clicks, coughs and typing (sound less than half
	// the time) never add up. Default 250 ms: bursts of
	// ≤ 200 ms never count, and sustained speech counts after 13 packets
	// of 20 ms (260 ms). 0 disables the burst filter.
	MinTalk time.Duration `yaml:"min_talk"`

	// SwitchHold is how long a new dominant speaker keeps the frame against
	// someone talking over them; it does not apply once they stop speaking.
	// Default 1 s: at most one switch a second when two people talk at once.
	SwitchHold time.Duration `yaml:"switch_hold"`

	// Release is how long a gap in speech may last without ending the talk
	// run; a participant stops speaking Release after their last speech
	// frame (or packet). Default 600 ms: longer than pauses between words
	// and breaths, short enough that Stopped follows the end of a sentence.
	Release time.Duration `yaml:"release"`

	// Margin is how many dB louder (by smoothed level) a challenger must be
	// than a dominant speaker who is still speaking to take the frame once
	// SwitchHold has passed. Default 6 dB: two voices at similar levels
	// talking over each other do not trade the frame; a fading dominant
	// loses it within ~250 ms of the newcomer starting.
	Margin uint8 `yaml:"margin"`

	// RequireVoice, when true, counts a frame as speech only if the sender
	// also set the RFC 6464 voice-activity (V) bit. Default false: browsers
	// differ in how they set V, and levels computed from PCM have no V.
	RequireVoice bool `yaml:"require_voice"`
}

// Limits Validate enforces on the durations.
const (
	maxWindow = 10 * time.Second
	maxTalk   = 10 * time.Second
	maxHold   = time.Minute
)

// DefaultParams returns the tuned defaults documented on each field.
func DefaultParams() Params {
	return Params{
		Threshold:  50,
		Window:     300 * time.Millisecond,
		MinTalk:    250 * time.Millisecond,
		SwitchHold: time.Second,
		Release:    600 * time.Millisecond,
		Margin:     6,
	}
}

// Validate reports every field out of range, each as an error wrapping
// ErrParams and naming the field by its YAML key, joined with errors.Join.
func (p Params) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("%w: %s is %v, want %s", ErrParams, field, v, want))
	}
	if !thresholdOK(p.Threshold) {
		bad("threshold", p.Threshold, "0..126")
	}
	if !inRange(p.Window, 1, maxWindow) {
		bad("window", p.Window, "more than 0 and at most 10s")
	}
	if !inRange(p.MinTalk, 0, maxTalk) {
		bad("min_talk", p.MinTalk, "0..10s")
	}
	if !inRange(p.SwitchHold, 0, maxHold) {
		bad("switch_hold", p.SwitchHold, "0..1m")
	}
	if !inRange(p.Release, 1, maxTalk) {
		bad("release", p.Release, "more than 0 and at most 10s")
	}
	if p.Margin > Silence {
		bad("margin", p.Margin, "0..127")
	}
	return errors.Join(errs...)
}

// sanitized returns p with every field Validate would reject replaced by
// its default, so constructors never run on nonsense. The zero Params (a
// caller that never filled them in) means DefaultParams.
func (p Params) sanitized() Params {
	d := DefaultParams()
	if p == (Params{}) {
		return d
	}
	if !thresholdOK(p.Threshold) {
		p.Threshold = d.Threshold
	}
	if !inRange(p.Window, 1, maxWindow) {
		p.Window = d.Window
	}
	if !inRange(p.MinTalk, 0, maxTalk) {
		p.MinTalk = d.MinTalk
	}
	if !inRange(p.SwitchHold, 0, maxHold) {
		p.SwitchHold = d.SwitchHold
	}
	if !inRange(p.Release, 1, maxTalk) {
		p.Release = d.Release
	}
	if p.Margin > Silence {
		p.Margin = d.Margin
	}
	return p
}

// thresholdOK rejects 127: silence must never count as speech.
func thresholdOK(t uint8) bool { return t < Silence }

func inRange(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
