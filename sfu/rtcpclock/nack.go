package rtcpclock

import (
	"github.com/pion/rtcp"
)

// maxNackTries is how often one lost packet is asked for: enough to ride
// out a lost NACK or retransmission, not so often that a packet the sender
// no longer has is asked for until it leaves the window.
const maxNackTries = 3

// appendNack appends to pkts a NACK for the packets of ssrc that l misses
// and may still be asked for, if any; scratch is reused and returned.
func appendNack(pkts []rtcp.Packet, senderSSRC, ssrc uint32, l *receiveLog, scratch []uint16) ([]rtcp.Packet, []uint16) {
	scratch = l.missing(scratch[:0], maxNackTries)
	if len(scratch) == 0 {
		return pkts, scratch
	}
	return append(pkts, &rtcp.TransportLayerNack{
		SenderSSRC: senderSSRC, MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(scratch),
	}), scratch
}
