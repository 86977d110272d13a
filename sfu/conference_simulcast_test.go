package sfu

import (
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// joinSimulcast connects a simulcast publisher to room 800.
func joinSimulcast(t *testing.T, api *MediaAPI, rooms *Conferences, number string) *participant {
	t.Helper()
	c, err := sfutest.NewSimulcastClient()
	if err != nil {
		t.Fatal(err)
	}
	leg := connectClient(t, api, number, c)
	if n := len(leg.Ups()); n != 4 {
		t.Fatalf("simulcast leg publishes %d tracks, want audio + 3 video layers", n)
	}
	return enterRoom(t, rooms, number, c, leg)
}

func TestSimulcastHighLayerForSpeakerLowForOthers(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	pub := joinSimulcast(t, api, rooms, "1001")
	pub.client.VideoMarker.Store('S')
	viewer := joinRoom(t, api, rooms, "1002", true)
	other := joinRoom(t, api, rooms, "1003", true)
	for _, p := range []*participant{pub, viewer, other} {
		p.client.Silent.Store(true)
		if err := p.client.StartTone(500, 8000); err != nil {
			t.Fatal(err)
		}
	}
	speak := func(who *participant) {
		for _, p := range []*participant{pub, viewer, other} {
			p.client.Silent.Store(p != who)
			level := uint32(127)
			if p == who {
				level = 10
			}
			p.client.Level.Store(level)
		}
	}
	layerSeen := func(want byte) bool {
		_, _, slots := viewer.obs.get()
		for _, s := range slots {
			if s.Member == pub.leg.ID() {
				packets, marker := viewer.client.VideoOn(s.Mid)
				return packets > 0 && marker == 'S' && viewer.client.VideoLayerOn(s.Mid) == want
			}
		}
		return false
	}
	speak(pub)
	eventually(t, 5*time.Second, "the speaker's high layer", func() bool { return layerSeen(2) })
	speak(other)
	eventually(t, 5*time.Second, "the low layer once someone else speaks", func() bool { return layerSeen(0) })
}

func TestViewerEstimateLowersAndRaisesTheLayer(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	pub := joinSimulcast(t, api, rooms, "1001")
	pub.client.VideoMarker.Store('S')
	pub.client.Level.Store(10) // the publisher is the dominant speaker: high layer wanted
	if err := pub.client.StartTone(500, 8000); err != nil {
		t.Fatal(err)
	}
	viewer := joinRoom(t, api, rooms, "1002", true)
	viewer.client.StartSending('v')
	layer := func() int {
		_, _, slots := viewer.obs.get()
		for _, s := range slots {
			if s.Member == pub.leg.ID() {
				if packets, _ := viewer.client.VideoOn(s.Mid); packets > 0 {
					return int(viewer.client.VideoLayerOn(s.Mid))
				}
			}
		}
		return -1
	}
	eventually(t, 5*time.Second, "the speaker's high layer", func() bool { return layer() == 2 })
	eventually(t, 8*time.Second, "the low layer once the viewer reports 100 kbit/s", func() bool {
		_ = viewer.client.SendREMB(100_000)
		return layer() == 0
	})
	eventually(t, 8*time.Second, "the high layer again when the estimate recovers", func() bool {
		_ = viewer.client.SendREMB(5_000_000)
		return layer() == 2
	})
}
