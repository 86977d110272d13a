package siptrunk

import "testing"

// TestMessageStatsStream: one stream read holding two messages (the first
// with a body) and a keep-alive CRLF is counted as two; a read that
// starts mid-message counts nothing.
func TestMessageStatsStream(t *testing.T) {
	var m MessageStats
	chunk := "INVITE sip:7000@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP x\r\nl: 5\r\n\r\nv=0\r\n" +
		"\r\nSIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n"
	m.count([]byte(chunk), true)
	m.count([]byte("a=rtpmap:0 PCMU/8000\r\n"), true)
	m.count([]byte("BYE sip:x SIP/2.0\r\n\r\n"), false)
	if got := m.ReqIn[0].Load(); got != 1 {
		t.Errorf("INVITE in = %d, want 1", got)
	}
	if got := m.ResIn[3].Load(); got != 1 {
		t.Errorf("4xx in = %d, want 1", got)
	}
	if got := m.ReqOut[2].Load(); got != 1 {
		t.Errorf("BYE out = %d, want 1", got)
	}
	var total uint64
	for i := range m.ReqIn {
		total += m.ReqIn[i].Load()
	}
	if total != 1 {
		t.Errorf("requests in = %d, want 1", total)
	}
}
