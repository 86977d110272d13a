// Package engine is Xphone's own media packet path for browser legs.
//
// pion keeps what it is good at — the DTLS handshake, SRTP key derivation
// and crypto contexts, SDP — and the engine owns every packet after that:
//
//   - one UDP socket, read in batches (recvmmsg) by one goroutine that
//     demultiplexes by first byte (RFC 7983) and by source address;
//   - an ICE-lite responder: peers are found by their local ufrag, checks
//     are verified (MESSAGE-INTEGRITY, FINGERPRINT) and bind the source
//     address to the peer;
//   - one DTLS handshake goroutine per peer that ends with the handshake;
//   - SRTP/SRTCP decrypted in place in the read buffer and handed to the
//     peer's Handler in the read goroutine: no channel, no allocation;
//   - egress encrypted by the goroutine that produced the packets into a
//     Batch's own buffers and sent with one sendmmsg per Flush.
//
// The wiring into sfu.WebRTCLeg is a later step: Handler.OnRTP feeds
// sfu.UpTrack.Forward, and Peer.WriteRTP satisfies the DownTrack's writer.
package engine
