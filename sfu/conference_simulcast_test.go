package sfu

import (
	"context"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// joinSimulcast connects a simulcast publisher to room 800.
func joinSimulcast(t *testing.T, api *MediaAPI, rooms *Conferences, number string) *participant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sfutest.NewSimulcastClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	offer, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: number}, offer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leg.Hangup(context.Background(), ReasonHangup) })
	if err := c.Answer(answer); err != nil {
		t.Fatal(err)
	}
	if err := c.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(leg.Ups()); n != 4 {
		t.Fatalf("simulcast leg publishes %d tracks, want audio + 3 video layers", n)
	}
	p := &participant{client: c, leg: leg, obs: &confObserver{}}
	conf, err := rooms.Join(context.Background(), "800", "", "call-"+number, leg, p.obs)
	if err != nil {
		t.Fatal(err)
	}
	p.conf = conf
	t.Cleanup(func() { rooms.Leave(conf, leg) })
	return p
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
