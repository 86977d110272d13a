package server

import (
	"testing"

	"xphone/configs"
	"xphone/sfu"
)

// The mixer keys reach the rooms as written: complexity 0 stays 0, and
// dtx: false makes the mixer send every frame.
func TestConferenceConfigCarriesMixerKeys(t *testing.T) {
	cfg, err := configs.Parse([]byte("policy:\n  mixer: {complexity: 0, bitrate: 24000, dtx: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cc := (&Server{}).conferenceConfig(cfg.Policy)
	if got, want := cc.Codecs, (sfu.OpusCodecs{Bitrate: 24000, Complexity: 0}); got != want {
		t.Errorf("codecs %+v, want %+v", got, want)
	}
	if !cc.Mixer.NoDTX {
		t.Error("dtx: false did not reach the mixer")
	}
	def, err := configs.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	dc := (&Server{}).conferenceConfig(def.Policy)
	if dc.Mixer.NoDTX || dc.Codecs != (sfu.OpusCodecs{Bitrate: configs.DefaultMixerBitrate, Complexity: configs.DefaultMixerComplexity}) {
		t.Errorf("defaults: NoDTX %v, codecs %+v", dc.Mixer.NoDTX, dc.Codecs)
	}
}
