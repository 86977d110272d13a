package sfutest

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// screenShare is the client's shared screen: a second video track added
// when the server offers an m-line to receive it on.
type screenShare struct {
	track  atomic.Pointer[webrtc.TrackLocalStaticRTP]
	added  atomic.Bool
	marker atomic.Uint32
	on     atomic.Bool
}

// ShareScreen makes the client share a "screen" as a browser does: the
// next server offer that adds a video m-line the server only receives on
// is answered with a second video track, whose frames (VP8 key frames
// every 33 ms) carry marker in payload byte 2. Sharing again after
// StopScreen reuses the track.
func (c *Client) ShareScreen(marker byte) error {
	c.screen.marker.Store(uint32(marker))
	if c.screen.track.Load() == nil {
		t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			"screen", "sfutest-screen")
		if err != nil {
			return fmt.Errorf("sfutest: screen track: %w", err)
		}
		c.screen.track.Store(t)
		c.goOwned(c.screenLoop)
	}
	c.screen.on.Store(true)
	return nil
}

// StopScreen stops sending the screen (the browser's "Stop sharing").
func (c *Client) StopScreen() { c.screen.on.Store(false) }

// attachScreen adds the screen track to a server offer being answered.
func (c *Client) attachScreen() error {
	t := c.screen.track.Load()
	if t == nil || c.screen.added.Load() {
		return nil
	}
	sender, err := c.pc.AddTrack(t)
	if err != nil {
		return fmt.Errorf("sfutest: add screen: %w", err)
	}
	c.screen.added.Store(true)
	c.goOwned(func() { c.readRTCP(sender) })
	return nil
}

func (c *Client) screenLoop() {
	var seq uint16
	c.tick(func(n int) {
		t := c.screen.track.Load()
		if !c.screen.on.Load() || !c.screen.added.Load() || n%2 == 0 {
			return
		}
		seq++
		payload := []byte{0x10, 0x00, byte(c.screen.marker.Load()), 0, 0x9d, 0x01, 0x2a, 0x80, 0x07, 0x38, 0x04}
		_ = t.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(n * 1800), Marker: true}, Payload: payload})
	})
}
