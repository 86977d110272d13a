package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// pbx is a fake PBX on loopback: a sipgo UAS that answers every INVITE with
// plain RTP (PCMU, or Opus with -trunk-codec opus) and echoes the audio it
// receives back to the caller, so each trunk call carries audio both ways
// through Xphone's SIP leg: G.711 ↔ Opus transcoding, or Opus passed
// through.
type pbx struct {
	addr  string
	codec string // "pcmu" or "opus"
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	conn  net.PacketConn
	cache *sipgo.DialogServerCache
	log   *slog.Logger

	answered atomic.Int64 // calls answered
	active   atomic.Int64 // dialogs up
	echoed   atomic.Uint64

	mu    sync.Mutex
	calls map[string]*echoCall // Call-ID → its media
	wg    sync.WaitGroup
}

// startPBX listens for SIP on addr (UDP) and answers with codec.
func startPBX(addr, codec string, log *slog.Logger) (*pbx, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callload-pbx"))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		return nil, err
	}
	cli, err := sipgo.NewClient(ua)
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	contact := sip.ContactHeader{Address: sip.Uri{User: "pbx", Host: host, Port: p}}
	conn, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("pbx: listen %s: %w", addr, err)
	}
	x := &pbx{addr: addr, codec: codec, ua: ua, srv: srv, conn: conn, cache: sipgo.NewDialogServerCache(cli, contact), log: log,
		calls: map[string]*echoCall{}}
	srv.OnInvite(x.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = x.cache.ReadAck(req, tx) })
	srv.OnBye(x.onBye)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	x.wg.Add(1)
	go func() { defer x.wg.Done(); _ = srv.ServeUDP(conn) }()
	return x, nil
}

func (x *pbx) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") { // re-INVITE (session refresh, hold)
		x.reinvite(req, tx)
		return
	}
	dlg, err := x.cache.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	ec, answer, err := x.answer(req.Body())
	if err != nil {
		x.log.Warn("pbx: refusing offer", "err", err)
		_ = dlg.Respond(488, "Not Acceptable Here", nil)
		return
	}
	x.mu.Lock()
	x.calls[req.CallID().Value()] = ec
	x.mu.Unlock()
	if err := dlg.RespondSDP(answer); err != nil {
		ec.close()
		return
	}
	x.answered.Add(1)
	x.active.Add(1)
}

func (x *pbx) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	x.mu.Lock()
	ec := x.calls[req.CallID().Value()]
	x.mu.Unlock()
	if ec == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	_ = tx.Respond(sip.NewSDPResponseFromRequest(req, ec.sdp))
}

func (x *pbx) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := x.cache.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	}
	x.mu.Lock()
	ec := x.calls[req.CallID().Value()]
	delete(x.calls, req.CallID().Value())
	x.mu.Unlock()
	if ec != nil {
		ec.close()
		x.active.Add(-1)
	}
}

// answer opens an echo socket and answers the offer with x.codec on it.
func (x *pbx) answer(offer []byte) (*echoCall, []byte, error) {
	var o sdp.SessionDescription
	if err := o.Unmarshal(offer); err != nil {
		return nil, nil, err
	}
	if len(o.MediaDescriptions) == 0 || o.MediaDescriptions[0].MediaName.Media != "audio" {
		return nil, nil, errors.New("no audio in the offer")
	}
	m := o.MediaDescriptions[0]
	dtmf, opus := offeredPT(m, "telephone-event/8000"), offeredPT(m, "opus/48000")
	pt, rtpmap := "0", "PCMU/8000"
	if x.codec == "opus" {
		if opus == "" {
			return nil, nil, errors.New("no Opus in the offer")
		}
		pt, rtpmap = opus, "opus/48000/2"
	}
	host, _, _ := net.SplitHostPort(x.addr)
	sock, err := net.ListenPacket("udp4", host+":0")
	if err != nil {
		return nil, nil, err
	}
	port := sock.LocalAddr().(*net.UDPAddr).Port
	fmts := pt
	if dtmf != "" {
		fmts += " " + dtmf
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=pbx %d 1 IN IP4 %s\r\ns=callload\r\nc=IN IP4 %s\r\nt=0 0\r\n", port, host, host)
	fmt.Fprintf(&b, "m=audio %d %s %s\r\na=rtpmap:%s %s\r\n", port, strings.Join(m.MediaName.Protos, "/"), fmts, pt, rtpmap)
	if dtmf != "" {
		fmt.Fprintf(&b, "a=rtpmap:%s telephone-event/8000\r\na=fmtp:%s 0-16\r\n", dtmf, dtmf)
	}
	b.WriteString("a=rtcp-mux\r\na=sendrecv\r\n")
	ec := &echoCall{sock: sock, sdp: []byte(b.String()), ssrc: uint32(port)*2654435761 | 1, counter: &x.echoed}
	x.wg.Add(1)
	go func() { defer x.wg.Done(); ec.run() }()
	return ec, ec.sdp, nil
}

// offeredPT is the payload type the offer's rtpmap gives encoding (such
// as "opus/48000", case-insensitive), or "".
func offeredPT(m *sdp.MediaDescription, encoding string) string {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, _ := strings.Cut(a.Value, " ")
		if strings.HasPrefix(strings.ToLower(enc), encoding) {
			return pt
		}
	}
	return ""
}

// close hangs up nothing (Xphone ends the calls) and stops listening.
func (x *pbx) close() {
	_ = x.srv.Close()
	_ = x.ua.Close()
	_ = x.conn.Close()
	x.mu.Lock()
	for id, ec := range x.calls {
		ec.close()
		delete(x.calls, id)
	}
	x.mu.Unlock()
	x.wg.Wait()
}

// echoCall sends every RTP packet of one call back to where it came from,
// under the PBX's own SSRC; RTCP is read and dropped.
type echoCall struct {
	sock    net.PacketConn
	sdp     []byte
	ssrc    uint32
	counter *atomic.Uint64
	once    sync.Once
}

func (e *echoCall) run() {
	buf := make([]byte, 1500)
	for {
		n, from, err := e.sock.ReadFrom(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[0]>>6 != 2 || (buf[1] >= 192 && buf[1] <= 223) { // not RTP, or RTCP (RFC 5761)
			continue
		}
		binary.BigEndian.PutUint32(buf[8:12], e.ssrc)
		if _, err := e.sock.WriteTo(buf[:n], from); err == nil {
			e.counter.Add(1)
		}
	}
}

func (e *echoCall) close() { e.once.Do(func() { _ = e.sock.Close() }) }
