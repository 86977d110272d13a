package siptrunk

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"xphone/configs"
)

// rawRequest builds a SIP request; headers named in omit are left out and
// extra lines are appended.
func rawRequest(method, version, cseq string, omit ...string) string {
	h := []string{
		"Via: SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bK" + fmt.Sprint(time.Now().UnixNano()),
		"From: <sip:0300@127.0.0.2>;tag=abc",
		"To: <sip:4930@127.0.0.1>",
		"Call-ID: raw-" + fmt.Sprint(time.Now().UnixNano()),
		"CSeq: " + cseq,
		"Max-Forwards: 70",
		"Content-Length: 0",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:4930@127.0.0.1:5060 %s\r\n", method, version)
	for _, l := range h {
		skip := false
		for _, o := range omit {
			skip = skip || strings.HasPrefix(l, o+":")
		}
		if !skip {
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// exchange sends msg from src and returns the status line of the answer,
// or "" when none comes within 700 ms.
func exchange(t *testing.T, src, msg string) string {
	t.Helper()
	conn, err := net.ListenPacket("udp4", src)
	must(t, err)
	defer conn.Close()
	dst, _ := net.ResolveUDPAddr("udp4", ourSIP)
	_, err = conn.WriteTo([]byte(msg), dst)
	must(t, err)
	_ = conn.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	buf := make([]byte, 4096)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// TestMalformedRequests: malformed requests get the right answer, the
// trunk lives on, and nothing from a non-trunk address reaches call logic.
func TestMalformedRequests(t *testing.T) {
	placer := &countingPlacer{}
	tr := newTestTrunk(t, configs.Trunk{}, placer)
	// sipgo logs unparsable messages through the default logger.
	for i, tc := range []struct {
		name, msg, want string
	}{
		{"no To", rawRequest("INVITE", "SIP/2.0", "1 INVITE", "To"), "400"},
		{"no Call-ID", rawRequest("INVITE", "SIP/2.0", "1 INVITE", "Call-ID"), "400"},
		{"bad CSeq method", rawRequest("OPTIONS", "SIP/2.0", "1 BYE"), "400"},
		// What the parser cannot read is answered 400 by the front door
		// from the raw text; nothing reaches call logic.
		{"bad CSeq number", rawRequest("OPTIONS", "SIP/2.0", "x OPTIONS"), "400"},
		{"wrong version", rawRequest("OPTIONS", "SIP/3.0", "1 OPTIONS"), "505"},
		{"unknown method", rawRequest("FOO", "SIP/2.0", "1 FOO"), "501"},
		{"unknown dialog", rawRequest("BYE", "SIP/2.0", "1 BYE"), "481"},
	} {
		src := fmt.Sprintf("127.0.0.2:%d", 5090+i) // a late answer to a case cannot be taken for the next
		got := exchange(t, src, strings.Replace(tc.msg, "127.0.0.2:5090", src, 1))
		t.Logf("%s → %q", tc.name, got)
		if (tc.want == "" && got != "") || (tc.want != "" && !strings.Contains(got, " "+tc.want+" ")) {
			t.Errorf("%s: answer %q, want %s", tc.name, got, tc.want)
		}
	}
	if got := exchange(t, "127.0.0.3:5090", rawRequest("INVITE", "SIP/2.0", "1 INVITE")); got != "" {
		t.Errorf("non-trunk source got an answer: %q", got)
	}
	if tr.Stats.DroppedSources.Load() == 0 {
		t.Error("request from a non-trunk source not counted")
	}
	if placer.n.Load() != 0 {
		t.Errorf("call logic reached %d times", placer.n.Load())
	}
	if got := exchange(t, "127.0.0.2:5089", strings.Replace(rawRequest("OPTIONS", "SIP/2.0", "1 OPTIONS"), "5090", "5089", 1)); !strings.Contains(got, " 200 ") {
		t.Errorf("trunk not alive after malformed requests: OPTIONS → %q", got)
	}
}
