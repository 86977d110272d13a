//go:build libopus

package codec

import "testing"

// Each implementation decodes the other's output: gopus → libopus and
// libopus → gopus carry the 440 Hz tone as cleanly as a same-library round
// trip (DESIGN.md §5).
func TestOpusInterop(t *testing.T) {
	cross := func(enc, dec opusImpl) bool { return enc.name != dec.name }
	opusPairs(t, cross, checkToneRoundTrip)
	t.Run("silence", func(t *testing.T) {
		opusPairs(t, cross, checkSilence)
	})
}
