package sfu

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

func TestRoomForwardsMediaBothWaysAndStopsOnLeave(t *testing.T) {
	api := testMediaAPI(t)
	alice, aliceLeg := newClientLeg(t, api, "1001", true)
	bob, bobLeg := newClientLeg(t, api, "1002", true)
	alice.Level.Store(20)
	talking(alice, 'A')
	talking(bob, 'B')

	room := NewRoom("r1", nil, slog.Default())
	room.Join(aliceLeg)
	room.Join(bobLeg)

	eventually(t, 5*time.Second, "audio both ways", func() bool {
		return alice.Received('B') > 10 && bob.Received('A') > 10
	})
	eventually(t, 5*time.Second, "keyframe requested from each video source", func() bool {
		return alice.KeyframeRequests.Load() > 0 && bob.KeyframeRequests.Load() > 0
	})
	eventually(t, 5*time.Second, "video both ways", func() bool {
		return alice.VideoReceived.Load() > 10 && bob.VideoReceived.Load() > 10
	})
	if alice.Received('A') != 0 || bob.Received('B') != 0 {
		t.Fatalf("a leg heard itself: alice<-A %d bob<-B %d", alice.Received('A'), bob.Received('B'))
	}
	eventually(t, 2*time.Second, "RFC 6464 level read from alice", func() bool {
		return aliceLeg.up(Audio).Level() == 20
	})

	room.Leave(bobLeg)
	before := bob.Received('A')
	time.Sleep(300 * time.Millisecond) // let in-flight packets land
	settled := bob.Received('A')
	time.Sleep(300 * time.Millisecond)
	if got := bob.Received('A'); got != settled || settled-before > 20 {
		t.Fatalf("media still forwarded after leave: %d -> %d -> %d", before, settled, got)
	}
}

func TestHangupEndsLegAndReportsReason(t *testing.T) {
	api := testMediaAPI(t)
	client, leg := newClientLeg(t, api, "1001", false)
	if err := leg.Hangup(context.Background(), ReasonDeclined); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leg.Done():
	default:
		t.Fatal("Done not closed after Hangup")
	}
	_ = leg.Hangup(context.Background(), ReasonHangup)
	if leg.EndReason() != ReasonDeclined {
		t.Fatalf("reason %q, want the first one given", leg.EndReason())
	}
	eventually(t, 10*time.Second, "client notices the closed leg", func() bool {
		s := client.ConnectionState().String()
		return s == "closed" || s == "failed" || s == "disconnected"
	})
}

func TestAudioOnlyOfferGetsNoVideo(t *testing.T) {
	api := testMediaAPI(t)
	_, leg := newClientLeg(t, api, "1001", false)
	if len(leg.Ups()) != 1 || leg.Ups()[0].Kind() != Audio {
		t.Fatalf("ups = %v, want one audio", leg.Ups())
	}
	if len(leg.Downs()) != 1 || leg.Downs()[0].Kind() != Audio {
		t.Fatalf("downs = %v, want one audio", leg.Downs())
	}
}

func TestBadOfferIsANegotiationError(t *testing.T) {
	api := testMediaAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := api.NewWebRTCLeg(ctx, Identity{Number: "1"}, "v=0\r\nnot sdp"); err == nil {
		t.Fatal("garbage offer accepted")
	}
}

func TestOneToOneForwardsTheHighestFlowingSimulcastLayer(t *testing.T) {
	api := testMediaAPI(t)
	pub, err := sfutest.NewSimulcastClient()
	if err != nil {
		t.Fatal(err)
	}
	pub.SendLayers.Store(2) // the top layer is not sent yet, as a browser ramping up
	pubLeg := connectClient(t, api, "1001", pub)
	viewer, viewerLeg := newClientLeg(t, api, "1002", true)
	talking(pub, 'P')
	talking(viewer, 'V')
	room := NewRoom("r1", nil, testLogger())
	room.Join(pubLeg)
	room.Join(viewerLeg)
	defer room.Leave(viewerLeg)
	defer room.Leave(pubLeg)
	layer := func() int {
		for _, mid := range []string{"0", "1", "2"} {
			if packets, _ := viewer.VideoOn(mid); packets > 0 {
				return int(viewer.VideoLayerOn(mid))
			}
		}
		return -1
	}
	eventually(t, 5*time.Second, "video flowing before any measurement", func() bool { return layer() >= 0 })
	room.Tick(1)
	eventually(t, 3*time.Second, "the highest flowing layer (1), not the silent top one", func() bool { return layer() == 1 })
	pub.SendLayers.Store(3)
	time.Sleep(300 * time.Millisecond)
	room.Tick(0.3)
	eventually(t, 3*time.Second, "the top layer once it flows", func() bool { return layer() == 2 })
}
