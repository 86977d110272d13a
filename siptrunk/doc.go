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
// Opus encoded) and transcodes what it receives on its DownTrack back to
// G.711, so browsers and rooms need no change.
//
// Implemented media back-end: ICE + DTLS-SRTP through a pion
// PeerConnection (one host candidate). Behind the mediaSession interface,
// DTLS-SRTP without ICE, SDES-SRTP and plain RTP are still to come.
package siptrunk
