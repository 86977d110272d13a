package siptrunk

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// handlers installs every request handler, each behind guard.
func (t *Trunk) handlers() {
	for method, h := range t.routes() {
		t.srv.OnRequest(method, t.guard(h))
	}
	// Methods without a handler were answered 405/501 by validate.
	t.srv.OnNoRoute(t.guard(t.noRoute))
}

// routes are the request handlers by method (the fuzz target calls them
// the way sipgo does).
func (t *Trunk) routes() map[sip.RequestMethod]sipgo.RequestHandler {
	return map[sip.RequestMethod]sipgo.RequestHandler{
		sip.INVITE: t.onInvite,
		sip.ACK:    t.onAck,
		sip.BYE:    t.onBye,
		// sipgo matches CANCEL to its INVITE transaction before this; a
		// CANCEL reaching here matched nothing.
		sip.CANCEL: func(req *sip.Request, tx sip.ServerTransaction) {
			t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		},
		sip.OPTIONS: func(req *sip.Request, tx sip.ServerTransaction) {
			t.respond(req, tx, 200, "OK", sip.NewHeader("Allow", allowHeader), sip.NewHeader("Accept", "application/sdp"),
				sip.NewHeader("Supported", strings.Join(supportedOptions, ", ")))
		},
		sip.INFO:   t.onInfo,
		sip.UPDATE: t.onUpdate,
		sip.REFER:  t.onRefer,
		sip.NOTIFY: t.onNotify,
	}
}

func (t *Trunk) noRoute(req *sip.Request, tx sip.ServerTransaction) {
	t.respond(req, tx, 501, "Not Implemented")
}

// guard wraps h: requests from sources not allowed are dropped and
// counted; panics are recovered, logged, counted and answered 500;
// mandatory headers are validated before h sees the request.
func (t *Trunk) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !t.sourceAllowed(req.Source()) {
			t.Stats.DroppedSources.Add(1)
			t.log.Debug("SIP from a source not allowed dropped", "src", req.Source(), "method", req.Method)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				t.Stats.Panics.Add(1)
				t.log.Error("SIP handler panic", "panic", r, "method", req.Method)
				t.respond(req, tx, 500, "Server Internal Error")
			}
		}()
		if code, reason, hdrs := validate(req); code != 0 {
			t.Stats.BadRequests.Add(1)
			t.respond(req, tx, code, reason, hdrs...)
			return
		}
		h(req, tx)
	}
}

// sourceAllowed reports whether host:port src is an allowed source.
func (t *Trunk) sourceAllowed(src string) bool {
	host, _, err := net.SplitHostPort(src)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return t.addrAllowed(a)
}

// addrAllowed reports whether a is in allowed_sources.
func (t *Trunk) addrAllowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// respond answers req on tx, safely even for malformed requests (a
// response needs Via, From, To, Call-ID, CSeq to route at all).
func (t *Trunk) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	if req.Via() == nil || req.IsAck() {
		return // cannot be routed back; ACKs are never answered
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	var err error
	if tx != nil {
		err = tx.Respond(res)
	} else {
		err = t.srv.WriteResponse(res)
	}
	if err != nil {
		t.log.Debug("SIP response not sent", "code", code, "err", err)
	}
}

// onAck passes an ACK to its dialog.
func (t *Trunk) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if s, ok := t.session(req.CallID().Value()).(*sipgo.DialogServerSession); ok {
		_ = s.ReadAck(req, tx)
	}
}

// onBye ends the dialog's leg: the peer hung up.
func (t *Trunk) onBye(req *sip.Request, tx sip.ServerTransaction) {
	id := req.CallID().Value()
	l := t.legFor(id)
	if l == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	switch s := t.session(id).(type) {
	case *sipgo.DialogServerSession:
		_ = s.ReadBye(req, tx)
	case *sipgo.DialogClientSession:
		_ = s.ReadBye(req, tx)
	default:
		t.respond(req, tx, 200, "OK")
	}
	l.end(reasonHangup, false)
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay).
func (t *Trunk) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	l := t.legFor(req.CallID().Value())
	if l == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	if d := infoDigit(string(req.Body())); d != 0 {
		l.upPipe.InjectDTMF(d)
	}
	t.respond(req, tx, 200, "OK")
}

func (t *Trunk) session(callID string) any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byCall[callID]
}

// maxForwards is the Max-Forwards of requests we originate.
const maxForwards = 70

// requestTimeout bounds non-INVITE requests we send.
const requestTimeout = 8 * time.Second

func withTimeout(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, requestTimeout)
}
