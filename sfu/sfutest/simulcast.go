package sfutest

import (
	"errors"
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// simulcastRIDs are the layers a simulcast client sends, lowest first, as
// the product's UI names them.
var simulcastRIDs = []string{"q", "h", "f"}

// NewSimulcastClient is a client whose video goes out as three simulcast
// layers; byte 3 of every video payload is the layer (0 lowest).
func NewSimulcastClient() (*Client, error) { return NewClientWith(Options{Simulcast: true}) }

func (c *Client) addSimulcast() error {
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	for _, rid := range simulcastRIDs {
		t, err := webrtc.NewTrackLocalStaticRTP(vp8, "video", "sfutest", webrtc.WithRTPStreamID(rid))
		if err != nil {
			return fmt.Errorf("sfutest: layer %s: %w", rid, err)
		}
		c.layers = append(c.layers, t)
	}
	tr, err := c.pc.AddTransceiverFromTrack(c.layers[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fmt.Errorf("sfutest: simulcast transceiver: %w", err)
	}
	for _, t := range c.layers[1:] {
		if err := tr.Sender().AddEncoding(t); err != nil {
			return fmt.Errorf("sfutest: add encoding: %w", err)
		}
	}
	sender := tr.Sender()
	c.simulcast = tr
	c.goOwned(func() { c.readRTCP(sender) })
	return nil
}

// writeLayers sends one keyframe-marked packet on every simulcast layer,
// with the mid and rid header extensions a receiver needs to tell the
// layers apart (pion does not add them itself; browsers do).
func (c *Client) writeLayers(seq uint16, ts uint32) {
	midID, ridID := c.simulcastExtensionIDs()
	for i, t := range c.layers {
		if n := c.SendLayers.Load(); n > 0 && i >= int(n) {
			break // as a browser that has not ramped up to the top layers yet
		}
		// Higher layers are bigger, as real ones are: 120, 240, 360 kbit/s
		// unless Options.LayerBytes says otherwise.
		payload := make([]byte, c.layerBytes(i))
		copy(payload, []byte{0x10, 0x00, byte(c.VideoMarker.Load()), byte(i), 0x9d, 0x01, 0x2a, 0x10, 0x00})
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: payload}
		if midID != 0 && ridID != 0 {
			_ = p.SetExtension(midID, []byte(c.simulcast.Mid()))
			_ = p.SetExtension(ridID, []byte(simulcastRIDs[i]))
		}
		_ = t.WriteRTP(p)
	}
}

func (c *Client) simulcastExtensionIDs() (mid, rid uint8) {
	for _, e := range c.simulcast.Sender().GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			mid = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			rid = uint8(e.ID)
		}
	}
	return mid, rid
}

// VideoLayerOn is the simulcast layer of the latest packet on mid (0 for
// senders without simulcast).
func (c *Client) VideoLayerOn(mid string) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.slots[mid]; st != nil {
		return st.layer
	}
	return 0
}

// SendREMB reports to the server that this client can receive bps (RTCP
// REMB, as browsers send it), for every video it receives.
func (c *Client) SendREMB(bps float32) error {
	c.mu.Lock()
	ssrcs := append([]uint32(nil), c.videoSSRCs...)
	c.mu.Unlock()
	if len(ssrcs) == 0 {
		return errors.New("sfutest: no video received yet")
	}
	return c.pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: bps, SSRCs: ssrcs}})
}
