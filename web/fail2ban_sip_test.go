package web_test

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"xphone/internal/server"
)

// freeUDPPort is a loopback UDP port free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sipSend sends msg from a fresh socket on ip to the trunk on port and
// returns the first final answer's status line ("" when none comes).
func sipSend(t *testing.T, ip string, port int, msg string) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg = strings.ReplaceAll(msg, "SRC", c.LocalAddr().String())
	if _, err := c.WriteTo([]byte(msg), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for deadline := time.Now().Add(3 * time.Second); ; {
		_ = c.SetReadDeadline(deadline)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return ""
		}
		if line, _, _ := strings.Cut(string(buf[:n]), "\r\n"); !strings.HasPrefix(line, "SIP/2.0 1") {
			return line
		}
	}
}

const tollSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// TestFail2banFilterMatchesSIPSecurityLines: the SIP front door's line
// for a stranger is matched with the stranger's address; the toll-fraud
// refusal of an INVITE from the trunk's own PBX (From: 1002, to a number
// routed to another trunk) is on the security stream but matched by no
// failregex — banning the PBX would cut every call.
func TestFail2banFilterMatchesSIPSecurityLines(t *testing.T) {
	fail, ignore := filterRegexes(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			logs := &lockedBuffer{}
			var h slog.Handler = slog.NewTextHandler(logs, nil)
			if format == "json" {
				h = slog.NewJSONHandler(logs, nil)
			}
			pbx, pbx2 := freeUDPPort(t), freeUDPPort(t)
			cfg := testConfig + fmt.Sprintf(`trunks:
  - {name: pbx, address: "127.0.0.2:5999", listen: "127.0.0.1:%d", media: rtp, codecs: [pcmu]}
  - {name: pbx2, address: "127.0.0.2:5998", listen: "127.0.0.1:%d", media: rtp, codecs: [pcmu]}
dialplan:
  - {pattern: "9.", trunk: pbx2, permission: national}
`, pbx, pbx2)
			startServer(t, cfg, func(o *server.Options) { o.Logger = slog.New(h) })
			if got := sipSend(t, "127.0.0.3", pbx, "JUNK FROM A SCANNER\r\n\r\n"); got != "" {
				t.Errorf("a stranger got %q", got)
			}
			attack := "INVITE sip:9301234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP SRC;branch=z9hG4bKf2b\r\n" +
				"From: <sip:1002@127.0.0.1>;tag=evil\r\nTo: <sip:9301234@127.0.0.1>\r\nCall-ID: f2b-toll\r\nCSeq: 1 INVITE\r\n" +
				"Contact: <sip:1002@SRC>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n" +
				fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(tollSDP), tollSDP)
			if got := sipSend(t, "127.0.0.2", pbx, attack); !strings.Contains(got, " 403 ") {
				t.Errorf("the attack answered %q, want 403", got)
			}
			var stranger, toll bool
			for _, line := range logs.lines() {
				switch host := hostOf(fail, ignore, line); {
				case strings.Contains(line, "security: SIP from a source not allowed"):
					stranger = true
					if host != "127.0.0.3" {
						t.Errorf("stranger line matched host %q: %s", host, line)
					}
					if strings.Contains(line, "SCANNER") {
						t.Errorf("the line echoes the datagram: %s", line)
					}
				case strings.Contains(line, "security: outbound call refused"):
					toll = true
					if host != "" {
						t.Errorf("a refusal asked for by the PBX would ban %s: %s", host, line)
					}
				case host != "":
					t.Errorf("ordinary line matched: %s", line)
				}
			}
			if !stranger || !toll {
				t.Errorf("stranger line %v, toll-fraud line %v; want both:\n%s", stranger, toll, strings.Join(logs.lines(), "\n"))
			}
		})
	}
}
