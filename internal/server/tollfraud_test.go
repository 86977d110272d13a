package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xphone/configs"
	"xphone/web/auth"
)

// busyPBX counts INVITEs and answers each 486 (no SIP library: what
// reaches it is exactly what Xphone sent).
type busyPBX struct {
	conn    net.PacketConn
	invites atomic.Int32
}

func startBusyPBX(t *testing.T, addr string) *busyPBX {
	t.Helper()
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &busyPBX{conn: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 8192)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if strings.HasPrefix(msg, "INVITE ") {
				p.invites.Add(1)
				_, _ = c.WriteTo([]byte(answer(msg, "486 Busy Here")), from)
			}
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return p
}

// answer is a response to the request msg with status (Via, From, To with
// a tag, Call-ID, CSeq copied).
func answer(msg, status string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, l := range strings.Split(msg, "\r\n") {
		name, _, _ := strings.Cut(l, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "from", "call-id", "cseq":
			b.WriteString(l + "\r\n")
		case "to":
			b.WriteString(l + ";tag=pbx\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

const tollSDP = "v=0\r\no=- 7 7 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

// tollConfig: extension 1002 may call internationally; trunk pbx (the
// attacker's PBX, allowed source 127.0.0.2) and trunk pbx2 (a paid route
// to busy), 9. routed to pbx2.
func tollConfig(pbx2 string, transit string) string {
	return `
media: {interfaces: [lo]}
extensions:
  - {number: "1002", name: Bob, password: pw1002, xphone: true, permission: international}
trunks:
  - {name: pbx, address: "127.0.0.2:5999", listen: "127.0.0.1:0", allowed_sources: ["127.0.0.2"], media: rtp, codecs: [pcmu]}
  - {name: pbx2, address: "` + pbx2 + `", listen: "127.0.0.1:0", media: rtp, codecs: [pcmu]}
dialplan:
  - {pattern: "9.", trunk: pbx2, permission: national}
` + transit
}

// TestTollFraudAttackAcrossTrunks is the attack on the whole
// server: an INVITE on trunk pbx from its allowed address, From: 1002 (an
// international extension), to a number the dial plan routes to pbx2. It
// is refused 403 and pbx2 never sees an INVITE; after a reload adds the
// transit rule pbx → pbx2 the same INVITE goes out through pbx2.
func TestTollFraudAttackAcrossTrunks(t *testing.T) {
	pbx2 := startBusyPBX(t, "127.0.0.2:0")
	parse := func(y string) *configs.Config {
		cfg, err := configs.Parse([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	srv, err := Start(context.Background(), Options{Config: parse(tollConfig(pbx2.conn.LocalAddr().String(), "")),
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AuthOptions: []auth.Option{auth.WithCost(4)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	pbxAddr := srv.trunks.All()[0].Addr()
	attacker, err := net.ListenPacket("udp4", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	attack := func(callID string) string {
		me := attacker.LocalAddr().String()
		msg := fmt.Sprintf("INVITE sip:9301234@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\n"+
			"From: <sip:1002@127.0.0.1>;tag=evil\r\nTo: <sip:9301234@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
			"Contact: <sip:1002@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			pbxAddr, me, callID, callID, me, len(tollSDP), tollSDP)
		dst, _ := net.ResolveUDPAddr("udp4", pbxAddr)
		if _, err := attacker.WriteTo([]byte(msg), dst); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8192)
		for deadline := time.Now().Add(8 * time.Second); ; {
			_ = attacker.SetReadDeadline(deadline)
			n, _, err := attacker.ReadFrom(buf)
			if err != nil {
				t.Fatalf("%s: no final answer", callID)
			}
			res := string(buf[:n])
			if line, _, _ := strings.Cut(res, "\r\n"); strings.HasPrefix(line, "SIP/2.0 ") && !strings.HasPrefix(line, "SIP/2.0 1") {
				return line
			}
		}
	}
	if line := attack("attack-1"); !strings.Contains(line, " 403 ") {
		t.Errorf("attack answered %q, want 403", line)
	}
	if n := pbx2.invites.Load(); n != 0 {
		t.Fatalf("pbx2 got %d INVITEs from the attack", n)
	}
	stranger, err := net.ListenPacket("udp4", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := net.ResolveUDPAddr("udp4", pbxAddr)
	_, _ = stranger.WriteTo([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n"), dst)
	_ = stranger.Close()
	waitTrue(t, 2*time.Second, "the stranger counted", func() bool { return srv.trunks.All()[0].Stats.DroppedSources.Load() == 1 })
	checkMetrics(t, srv, `xphone_sip_events_total{event="toll_refused",trunk="pbx2"} 1`,
		`xphone_sip_frontdoor_total{event="dropped",source="stranger",trunk="pbx"} 1`,
		`xphone_sip_frontdoor_total{event="parse_error",source="peer",trunk="pbx"} 0`)
	e := srv.Reload(parse(tollConfig(pbx2.conn.LocalAddr().String(), "transit:\n  - {from: pbx, to: pbx2, permission: national}\n")))
	if !e.OK {
		t.Fatalf("reload with a transit rule: %+v", e)
	}
	if line := attack("transit-1"); !strings.Contains(line, " 486 ") {
		t.Errorf("allowed transit answered %q, want pbx2's 486", line)
	}
	if n := pbx2.invites.Load(); n != 1 {
		t.Errorf("pbx2 got %d INVITEs with the transit rule, want 1", n)
	}
}
