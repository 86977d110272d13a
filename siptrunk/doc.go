// Package siptrunk connects Xphone to a PBX or SIP provider as a SIP
// trunk (SPEC F25–F29): a sipgo user agent per trunk and SIP dialogs as
// sfu legs. The media of a dialog (SDP offer/answer, RTP, SRTP, DTLS, ICE,
// transcoding) is package sipmedia's; this package owns the signalling.
//
// A Trunk implements sfu.Dialer for outside numbers (the dial plan and the
// caller's permission class decide, in one function: Allowed) and places
// inbound calls into call control through a Placer (*sfu.Calls) with the
// SIP leg as the caller's leg. A Leg publishes the peer's audio as Opus on
// one UpTrack and sends what it receives on its DownTrack back in the
// trunk's codec (sipmedia's Upstream and Downstream), so browsers and rooms
// need no change. Its media back-end, a sipmedia.Session, is chosen per
// call by sipmedia.New from the trunk's media and ice settings and,
// inbound, the peer's offer.
package siptrunk
