// Package siptrunk connects Xphone to a PBX or SIP provider as a SIP
// trunk (SPEC F25–F29): a sipgo user agent per trunk, SIP dialogs as
// sfu legs, SDP normalised between pion and SIP peers, and DTLS-SRTP
// media.
//
// A Trunk implements sfu.Dialer for outside numbers (the dial plan and the
// caller's permission class decide, in one function: Allowed) and places
// inbound calls into call control through a Placer (*sfu.Calls) with the
// SIP leg as the caller's leg. A Leg publishes the peer's audio as Opus on
// one UpTrack (G.711 decoded, resampled to 48 kHz, RFC 6464 level added,
// Opus encoded; Opus from the trunk passed through with its level) and
// sends what it receives on its DownTrack back as G.711 or Opus, so
// browsers and rooms need no change. The peer's packets are put back in
// order by a small reorder buffer before decoding.
//
// Media back-ends behind the mediaSession interface, chosen per call by
// newMedia: ICE + DTLS-SRTP through a pion PeerConnection (one host
// candidate), and for peers without ICE a UDP socket with DTLS-SRTP,
// SDES-SRTP or plain RTP (sockMedia).
package siptrunk
