package sfutest

import (
	"errors"

	"github.com/pion/rtcp"
)

// ErrNoVideo: the client has received no video to ask about.
var ErrNoVideo = errors.New("sfutest: no video received")

// resendLog follows the first received video stream for AskAgain; guarded
// by the client's mu.
type resendLog struct {
	last   uint16         // newest sequence number received
	copies map[uint16]int // asked-for sequence numbers: arrivals since asked
}

func (r *resendLog) arrived(seq uint16) {
	r.last = seq
	if n, ok := r.copies[seq]; ok {
		r.copies[seq] = n + 1
	}
}

// LastVideoSeq is the newest sequence number of the first video stream
// the client receives.
func (c *Client) LastVideoSeq() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resends.last
}

// AskAgain sends the server an RTCP NACK (RFC 4585 generic NACK) for
// packets seqs of the first video stream the client receives, as a browser
// does for packets it lost; Copies then counts their arrivals.
func (c *Client) AskAgain(seqs ...uint16) error {
	c.mu.Lock()
	if len(c.videoSSRCs) == 0 {
		c.mu.Unlock()
		return ErrNoVideo
	}
	ssrc := c.videoSSRCs[0]
	if c.resends.copies == nil {
		c.resends.copies = map[uint16]int{}
	}
	for _, s := range seqs {
		c.resends.copies[s] = 0
	}
	c.mu.Unlock()
	return c.pc.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}})
}

// Copies is how many times video packet seq arrived since AskAgain asked
// for it.
func (c *Client) Copies(seq uint16) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resends.copies[seq]
}
