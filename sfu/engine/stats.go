package engine

import "sync/atomic"

// Stats are the engine's counters since it started. Every datagram that is
// not delivered lands in exactly one of the Dropped* fields.
type Stats struct {
	Received uint64 // datagrams read from the socket
	RTP      uint64 // SRTP packets decrypted and handed to a handler
	RTCP     uint64 // SRTCP packets decrypted and handed to a handler
	STUN     uint64 // valid binding requests answered
	Sent     uint64 // datagrams sent

	DroppedJunk     uint64 // first byte matches no protocol, or truncated
	DroppedStranger uint64 // RTP/RTCP/DTLS from an address bound to no peer
	DroppedSTUN     uint64 // STUN that is malformed, not a request, or has a bad integrity
	DroppedUfrag    uint64 // binding requests for an unknown ufrag
	DroppedDecrypt  uint64 // SRTP/SRTCP that fails authentication or replay checks
	DroppedNoKeys   uint64 // media before the handshake installed keys
	DroppedDTLS     uint64 // DTLS records the handshake is not waiting for
	SendErrors      uint64 // datagrams the kernel refused
	Panics          uint64 // batches cut short by a recovered panic
}

// counters is the live, atomic form of Stats.
type counters struct {
	received, rtp, rtcp, stun, sent                              atomic.Uint64
	junk, stranger, badSTUN, ufrag, decrypt, noKeys, dtls, sendE atomic.Uint64
	panics                                                       atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received: c.received.Load(), RTP: c.rtp.Load(), RTCP: c.rtcp.Load(),
		STUN: c.stun.Load(), Sent: c.sent.Load(),
		DroppedJunk: c.junk.Load(), DroppedStranger: c.stranger.Load(),
		DroppedSTUN: c.badSTUN.Load(), DroppedUfrag: c.ufrag.Load(),
		DroppedDecrypt: c.decrypt.Load(), DroppedNoKeys: c.noKeys.Load(),
		DroppedDTLS: c.dtls.Load(), SendErrors: c.sendE.Load(), Panics: c.panics.Load(),
	}
}
