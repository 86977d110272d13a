package siptrunk

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// handlers installs every request handler, each behind guard.
func (t *Trunk) handlers() {
	t.srv.OnInvite(t.guard(t.onInvite))
	t.srv.OnAck(t.guard(t.onAck))
	t.srv.OnBye(t.guard(t.onBye))
	t.srv.OnCancel(t.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		// sipgo matches CANCEL to its INVITE transaction before this; a
		// CANCEL reaching here matched nothing.
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
	}))
	t.srv.OnOptions(t.guard(func(req *sip.Request, tx sip.ServerTransaction) { t.respond(req, tx, 200, "OK") }))
	t.srv.OnInfo(t.guard(t.onInfo))
	t.srv.OnUpdate(t.guard(t.onUpdate))
	t.srv.OnRefer(t.guard(t.onRefer))
	t.srv.OnNotify(t.guard(t.onNotify))
	t.srv.OnNoRoute(t.guard(func(req *sip.Request, tx sip.ServerTransaction) { t.respond(req, tx, 501, "Not Implemented") }))
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
		if code, reason := validate(req); code != 0 {
			t.Stats.BadRequests.Add(1)
			t.respond(req, tx, code, reason)
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
	a = a.Unmap()
	for _, p := range t.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// validate checks the mandatory headers (RFC 3261 §8.1.1) and the version.
// It returns 0 when the request may be used, else the status to answer.
func validate(req *sip.Request) (int, string) {
	switch {
	case req.SipVersion != "SIP/2.0":
		return 505, "Version Not Supported"
	case req.Via() == nil, req.From() == nil, req.To() == nil, req.CallID() == nil:
		return 400, "Missing Mandatory Header"
	case req.CSeq() == nil || req.CSeq().MethodName != req.Method:
		return 400, "Bad CSeq"
	case req.MaxForwards() != nil && req.MaxForwards().Val() == 0:
		return 483, "Too Many Hops"
	}
	return 0, ""
}

// respond answers req on tx, safely even for malformed requests (a
// response needs Via, From, To, Call-ID, CSeq to route at all).
func (t *Trunk) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string) {
	if req.Via() == nil {
		return // cannot be routed back
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
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
		l.upPipe.injectDTMF(d)
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
