// Package engine is Xphone's own media packet path for browser legs.
//
// pion keeps what it is good at — the DTLS handshake, SRTP key derivation
// and crypto contexts, SDP — and the engine owns every packet after that:
//
//   - one UDP socket, read in batches (recvmmsg) by one goroutine that
//     demultiplexes by first byte (RFC 7983) and by source address;
//   - an ICE-lite responder: peers are found by their local ufrag, checks
//     are verified (MESSAGE-INTEGRITY, FINGERPRINT) and bind the source
//     address to the peer; a nominating check from a new address moves it;
//   - one DTLS handshake goroutine per peer that ends with the handshake;
//   - SRTP/SRTCP decrypted in place in the read buffer and handed to the
//     peer's Handler in the read goroutine: no channel, no allocation;
//   - egress encrypted by the goroutine that produced the packets into a
//     Batch's own buffers and sent with one sendmmsg per Flush, runs of
//     datagrams to one address as one UDP GSO message.
//   - on a socket bound to every address, each reply leaves from the
//     address the peer's packets came to (IP_PKTINFO / IPV6_PKTINFO), so
//     a host can advertise several addresses (pktinfo_linux.go).
//
// An established peer has no goroutine and keeps ≈ 7 KB in the engine.
//
// Wiring a WebRTCLeg onto it (a later step): create the Peer from the
// offer (its a=ice-ufrag and a=fingerprint, RoleServer for "actpass"),
// answer with Peer.Local (a=ice-lite, one host candidate per public
// address), route Handler.OnRTP by SSRC to sfu.UpTrack.Forward, parse
// Handler.OnRTCP for PLI/FIR/NACK/REMB/TWCC/RR, and give each DownTrack a
// writer that seals into the forwarding goroutine's Batch (or
// Peer.WriteRTP). Peer.Done and Peer.LastConsent feed the leg's liveness.
package engine
