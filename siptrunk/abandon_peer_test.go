package siptrunk

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// answerOnCancelUAS is a raw SIP peer that rings, and answers the INVITE
// with 200 right after the 200 for our CANCEL: its answer crossed our
// CANCEL (a real UAS's transaction layer would send 487 instead, so this
// one speaks SIP by hand).
type answerOnCancelUAS struct {
	addr string
	acks atomic.Int32
	bye  chan struct{}
}

func startAnswerOnCancelUAS(t *testing.T, addr string) *answerOnCancelUAS {
	t.Helper()
	conn, err := net.ListenPacket("udp4", addr)
	must(t, err)
	f := &answerOnCancelUAS{addr: addr, bye: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() { defer close(done); f.serve(conn) }()
	t.Cleanup(func() { _ = conn.Close(); <-done })
	return f
}

func (f *answerOnCancelUAS) serve(conn net.PacketConn) {
	buf := make([]byte, 65535)
	var invite *sip.Request
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		req, ok := msg.(*sip.Request)
		if err != nil || !ok {
			continue
		}
		reply := func(r *sip.Request, code int, reason string, body []byte) {
			res := sip.NewResponseFromRequest(r, code, reason, body)
			if code == 180 || code == 200 && r.IsInvite() {
				res.To().Params.Add("tag", "far1")
			}
			if body != nil {
				res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
				res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{User: "far", Host: "127.0.0.2", Port: conn.LocalAddr().(*net.UDPAddr).Port}})
			}
			_, _ = conn.WriteTo([]byte(res.String()), from)
		}
		switch req.Method {
		case sip.INVITE:
			invite = req
			reply(req, 180, "Ringing", nil)
		case sip.CANCEL:
			reply(req, 200, "OK", nil)
			if invite != nil {
				reply(invite, 200, "OK", invite.Body())
			}
		case sip.ACK:
			f.acks.Add(1)
		case sip.BYE:
			reply(req, 200, "OK", nil)
			select {
			case f.bye <- struct{}{}:
			default:
			}
		}
	}
}
