package sfutest

import (
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Options shape a fake browser beyond NewClient's defaults.
type Options struct {
	Video     bool // one plain video track
	Simulcast bool // video as three simulcast layers instead
	// H264 offers H.264 and no VP8, for sending and receiving (h264.go).
	H264 bool
	// ReceiveVideo offers to receive video without sending any (a viewer
	// without a camera).
	ReceiveVideo bool
	// Net carries the client's sockets (a private network namespace, an
	// impaired link: netns.go); nil: the process's own network.
	Net transport.Net
	// Interfaces are those its ICE may use; nil: lo.
	Interfaces []string
	// LayerBytes are the payload bytes of each simulcast layer's frames
	// (50 a second), lowest first; nil: 300, 600, 900.
	LayerBytes []int
	// KeyframesOnRequest sends video as a real encoder does: a key frame
	// first and after each PLI/FIR, delta frames otherwise.
	KeyframesOnRequest bool
	// VideoKbps > 0 sends the plain video track at camera rates instead of
	// one packet per 20 ms: VideoFPS frames a second (0: 30) of several
	// packets each, sent back to back, a key frame (4× larger) every
	// KeyframeEvery (0: 3 s) and after each PLI/FIR (camera.go).
	VideoKbps     int
	VideoFPS      int
	KeyframeEvery time.Duration
	// AcceptDuplicates turns off SRTP replay protection, so a packet the
	// client asks for again (AskAgain) is counted even though it already
	// arrived once; a browser asks only for packets it lost.
	AcceptDuplicates bool
	// NominateAtOnce makes ICE nominate as soon as the server answered a
	// check, as browsers do, instead of on pion's next 200 ms check tick
	// (nominate.go): join times then show the server, not that tick.
	NominateAtOnce bool
}

func (o Options) settingEngine() webrtc.SettingEngine {
	var se webrtc.SettingEngine
	names := o.Interfaces
	if names == nil {
		names = []string{"lo"}
	}
	se.SetInterfaceFilter(func(name string) bool { return slices.Contains(names, name) })
	se.SetIncludeLoopbackCandidate(slices.Contains(names, "lo"))
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if o.Net != nil {
		se.SetNet(o.Net)
	}
	se.DisableSRTPReplayProtection(o.AcceptDuplicates)
	return se
}

// layerBytes is the frame size of simulcast layer i.
func (c *Client) layerBytes(i int) int {
	if i < len(c.opts.LayerBytes) {
		return max(c.opts.LayerBytes[i], 16)
	}
	return 300 * (i + 1)
}

// frameType is the second VP8 payload byte of the next plain video frame:
// 0x00 a key frame, 0x01 a delta frame.
func (c *Client) frameType() byte {
	if !c.opts.KeyframesOnRequest {
		return 0x00
	}
	if c.sentKey.Load() <= c.KeyframeRequests.Load() {
		c.sentKey.Add(1)
		return 0x00
	}
	return 0x01
}

// arrived notes a received video packet: key frames (H.264's when h264)
// and the longest gap between packets (a freeze, as a viewer would see it).
func (st *slotStats) arrived(payload []byte, at time.Time, h264 bool) {
	switch {
	case h264 && isH264Key(payload):
		st.keyframes++
	case !h264 && len(payload) > 1 && payload[0]&0x10 != 0 && payload[1]&0x01 == 0:
		st.keyframes++
	}
	if !st.last.IsZero() {
		st.maxGap = max(st.maxGap, at.Sub(st.last))
	}
	st.last = at
}

// VideoFlow reports the key frames received on video transceiver mid and
// the longest gap between its packets since ResetVideoGaps.
func (c *Client) VideoFlow(mid string) (keyframes uint64, maxGap time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.slots[mid]; st != nil {
		return st.keyframes, st.maxGap
	}
	return 0, 0
}

// ResetVideoGaps starts measuring the gaps between video packets afresh.
func (c *Client) ResetVideoGaps() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.slots {
		st.maxGap, st.last = 0, time.Time{}
	}
}

// VideoSlots lists the mids video arrived on.
func (c *Client) VideoSlots() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for mid := range c.slots {
		out = append(out, mid)
	}
	slices.Sort(out)
	return out
}
