// Package sipmedia is the media of a SIP trunk's calls: SDP offer/answer
// with SIP peers, the back-ends that carry RTP and the transcoding
// between the trunk's codec and the rooms' Opus. It knows nothing of SIP
// signalling; package siptrunk drives it.
//
// A Session is one dialog's media, made by New from the trunk's settings:
// ICE + DTLS-SRTP through a pion PeerConnection with one host candidate
// (pion.go, pion_video.go, rtptrack.go), or for peers without ICE a UDP
// socket pair with DTLS-SRTP, SDES-SRTP or plain RTP (sock*.go, dtls*.go,
// srtp.go, rtcp.go, demux.go). SDP is handled as parsed data (pion/sdp):
// sdp.go normalises between pion and SIP peers, sdp_media.go reads what
// the socket back-ends need from a peer's SDP, sdp_dialog.go has the
// direction and version edits the dialog code needs. Upstream and
// Downstream (transcode*.go, jitter.go) turn the peer's audio into Opus
// with levels for an sfu.UpTrack and the room's Opus back into the trunk's
// codec.
package sipmedia
