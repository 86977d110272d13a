package siptrunk

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/configs"
	"xphone/sfu"
)

// TestOutbound422Retry: a PBX that wants at least 3600 s answers our
// INVITE 422 (Min-SE: 3600); we send the INVITE again with
// Session-Expires 3600, and its final answer (486 here) is what the
// caller sees.
func TestOutbound422Retry(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	ua, err := sipgo.NewUA()
	must(t, err)
	srv, err := sipgo.NewServer(ua)
	must(t, err)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		se := req.GetHeader("Session-Expires")
		mu.Lock()
		seen = append(seen, se.Value())
		mu.Unlock()
		if d, _, _ := sessionExpires(req); d < time.Hour {
			res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
			res.AppendHeader(sip.NewHeader("Min-SE", "3600"))
			_ = tx.Respond(res)
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	})
	conn, err := net.ListenPacket("udp4", "127.0.0.2:5072")
	must(t, err)
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ua.Close(); _ = conn.Close() })

	tr := newTestTrunk(t, configs.Trunk{Address: "127.0.0.2:5072", SessionExpires: configs.Duration(30 * time.Minute)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0200"})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("Session-Expires sent: %v; result %v", seen, err)
	if len(seen) != 2 || seen[0] != "1800" || seen[1] != "3600" {
		t.Errorf("INVITEs with Session-Expires %v, want [1800 3600]", seen)
	}
	if !errors.Is(err, sfu.ErrBusy) {
		t.Errorf("Dial = %v, want the retry's 486 (busy)", err)
	}
}
