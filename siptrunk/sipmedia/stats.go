package sipmedia

// Stats are a back-end's counters for tests and diagnostics.
type Stats struct {
	// Received counts the packets accepted from the peer (see
	// Session.Received).
	Received uint64
	// DTLSRestarts counts DTLS associations the peer restarted and we
	// completed (DTLS-SRTP without ICE).
	DTLSRestarts uint64
	// VideoPeerSSRC is the peer's video SSRC once it sends video.
	VideoPeerSSRC uint32
	// KeyframesAsked counts the peer's keyframe requests for our video;
	// KeyframesRequested counts ours sent to the peer.
	KeyframesAsked, KeyframesRequested uint64
	// VideoRejected counts the peer's video packets dropped (bad SRTP
	// authentication, a foreign source, another payload type).
	VideoRejected uint64
	// VideoDTLSRestarts counts the video stream's DTLS restarts (DTLS
	// without ICE runs one association per m-line).
	VideoDTLSRestarts uint64
}

// Stats implements Session.
func (m *sockMedia) Stats() Stats {
	return m.videoStats(Stats{Received: m.Received(), DTLSRestarts: m.restarts.Load()})
}

// Stats implements Session.
func (m *pionMedia) Stats() Stats {
	return Stats{Received: m.Received(), VideoPeerSSRC: m.video.peerSSRC.Load(),
		KeyframesAsked: m.video.asked.Load(), KeyframesRequested: m.video.requested.Load()}
}

// Sever closes a socket back-end's sockets without ending the session or
// failing it: the peer hears nothing more from us and we nothing from it,
// as when a network path dies under an established call. It reports
// whether s is a socket back-end. Fault injection for tests.
func Sever(s Session) bool {
	m, ok := s.(*sockMedia)
	if ok {
		_ = m.closeSockets()
		if m.vid != nil {
			_ = m.vid.closeSockets()
		}
	}
	return ok
}
