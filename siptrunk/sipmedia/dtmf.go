package sipmedia

import (
	"github.com/pion/rtp"

	"xphone/sfu"
)

// RFC 4733 key presses: the packets we send a peer (Session.WriteEvent),
// and the one we hand the room for a key that came by SIP INFO.

// EventPayloads are the RFC 4733 payloads of one 100 ms key press at
// volume 10: start, update, and the end packet three times.
func EventPayloads(ev byte) [][]byte {
	return [][]byte{
		{ev, 10, 0x01, 0x90},        // 400 ticks (50 ms)
		{ev, 10, 0x03, 0x20},        // 800 ticks
		{ev, 0x80 | 10, 0x03, 0x20}, // end
		{ev, 0x80 | 10, 0x03, 0x20},
		{ev, 0x80 | 10, 0x03, 0x20},
	}
}

// dtmfPacket is a one-packet RFC 4733 event for digit, as the UpTrack's
// DTMF decoding expects it (payload type upDTMFPT).
func dtmfPacket(digit rune, ts uint32) *rtp.Packet {
	ev, _ := sfu.DTMFEvent(digit)
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: upDTMFPT, Timestamp: ts},
		Payload: []byte{ev, 0x80 | 10, 0x03, 0x20}}
}
