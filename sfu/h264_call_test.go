package sfu

import (
	"log/slog"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// h264Leg connects a fake browser that offers H.264 and no VP8, sending a
// key frame only at the start and when asked (as an encoder does).
func h264Leg(t *testing.T, api *MediaAPI, number string) (*sfutest.Client, *WebRTCLeg) {
	t.Helper()
	c, err := sfutest.NewClientWith(sfutest.Options{Video: true, H264: true, KeyframesOnRequest: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, connectClient(t, api, number, c)
}

// Two H.264-only peers in a call see each other: each receiver's down
// track waits for a key frame, the server asks the sender for one, and the
// answer to that request (an IDR in FU-A fragments) starts the picture.
func TestH264CallForwardsVideoBothWays(t *testing.T) {
	api := testMediaAPI(t)
	alice, aliceLeg := h264Leg(t, api, "1001")
	bob, bobLeg := h264Leg(t, api, "1002")
	alice.VideoMarker.Store('A')
	bob.VideoMarker.Store('B')
	talking(alice, 'a')
	talking(bob, 'b')
	if got := aliceLeg.up(Video).MimeType(); got != mimeH264 {
		t.Fatalf("alice's video up track is %q, want H.264", got)
	}
	room := NewRoom("r1", nil, slog.Default())
	room.Join(aliceLeg)
	room.Join(bobLeg)
	defer room.Leave(bobLeg)
	eventually(t, 5*time.Second, "keyframe requested from each H.264 source", func() bool {
		return alice.KeyframeRequests.Load() > 0 && bob.KeyframeRequests.Load() > 0
	})
	eventually(t, 5*time.Second, "H.264 video both ways, from a key frame on", func() bool {
		return seesKeyframeOf(alice, 'B') && seesKeyframeOf(bob, 'A')
	})
}

// seesKeyframeOf reports whether c received a key frame and then video
// marked marker on some slot.
func seesKeyframeOf(c *sfutest.Client, marker byte) bool {
	for _, mid := range c.VideoSlots() {
		keys, _ := c.VideoFlow(mid)
		packets, got := c.VideoOn(mid)
		if keys > 0 && packets > 10 && got == marker {
			return true
		}
	}
	return false
}

// In a room, video goes only where the receiver can decode it: the two
// H.264 members see each other, a VP8 member sees neither of them and
// they do not get its VP8.
func TestRoomForwardsH264OnlyToH264Members(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	var ps []*participant
	for i, n := range []string{"1001", "1002"} {
		c, leg := h264Leg(t, api, n)
		p := enterRoom(t, rooms, n, c, leg)
		p.client.VideoMarker.Store(uint32('A' + i))
		p.client.StartSending(byte('a' + i))
		ps = append(ps, p)
	}
	vp8 := joinRoom(t, api, rooms, "1003", true)
	vp8.client.VideoMarker.Store('C')
	vp8.client.StartSending('c')
	eventually(t, 8*time.Second, "the H.264 members see each other", func() bool {
		return seesKeyframeOf(ps[0].client, 'B') && seesKeyframeOf(ps[1].client, 'A')
	})
	eventually(t, 5*time.Second, "the VP8 member is given slots for both others", func() bool {
		_, _, slots := vp8.obs.get()
		return len(slots) >= 2
	})
	time.Sleep(time.Second) // time for wrongly forwarded video to show
	if n := vp8.client.VideoReceived.Load(); n != 0 {
		t.Errorf("the VP8 member received %d H.264 video packets", n)
	}
	for _, d := range vp8.leg.Downs() {
		if src := d.Source(); d.Kind() == Video && src != nil {
			t.Errorf("the VP8 member's video slot follows %s (%s)", src.ID(), src.MimeType())
		}
	}
	for _, p := range ps {
		for _, mid := range p.client.VideoSlots() {
			if packets, marker := p.client.VideoOn(mid); marker == 'C' {
				t.Errorf("an H.264 member received %d VP8 packets on slot %s", packets, mid)
			}
		}
	}
	for _, p := range append(ps, vp8) {
		rooms.Leave(p.conf, p.leg)
	}
}
