package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// clientDialog ends an outbound dialog.
type clientDialog struct{ s *sipgo.DialogClientSession }

func (d clientDialog) bye(ctx context.Context) error { return d.s.Bye(ctx) }

// Dial implements sfu.Dialer: the toll-fraud gate decides from the
// request's origins (never its From), then it sends INVITE (answering
// auth challenges), reports 180/183 as ringing, and returns the SIP leg
// on 200. When ctx ends first it sends CANCEL.
func (t *Trunk) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	route, err := t.Allowed(req)
	if err != nil {
		t.refused(req, err)
		if errors.Is(err, ErrForbidden) || errors.Is(err, ErrLocalNumber) {
			return nil, fmt.Errorf("%w: %w", sfu.ErrForbidden, err)
		}
		return nil, err
	}
	if t.tryReferOut(ctx, req, route.Number) {
		return nil, ErrReferred
	}
	start := time.Now()
	m, err := t.newMedia("")
	if err != nil {
		return nil, err
	}
	offer, err := m.Offer(ctx)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	sess, err := t.inviteWithTimer(ctx, req, route.Number, offer)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	leg, err := t.connect(ctx, req, sess, m)
	if err != nil {
		return nil, err
	}
	t.log.Info("outbound call answered", "to", route.Number, "setup", time.Since(start))
	return leg, nil
}

// invite sends the INVITE and waits for the final answer.
func (t *Trunk) invite(ctx context.Context, req sfu.DialRequest, number, offer string, se time.Duration) (*sipgo.DialogClientSession, error) {
	to := t.peerURI(number)
	from := &sip.FromHeader{DisplayName: req.From.Name, Address: sip.Uri{User: t.callerID(req.From.Number), Host: t.peer.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	r := sip.NewRequest(sip.INVITE, to)
	r.AppendHeader(from)
	r.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range inviteTimerHeaders(se) {
		r.AppendHeader(h)
	}
	r.SetBody([]byte(offer))
	t.Stats.Invites.Add(1)
	sess, err := t.dua.WriteInvite(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrunkUnavailable, err)
	}
	ringing := false
	opts := sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if (res.StatusCode == 180 || res.StatusCode == 183) && !ringing && req.Ringing != nil {
			ringing = true
			req.Ringing()
		}
		return nil
	}}
	if reg := t.cfg.Trunk.Register; reg != nil {
		opts.Username, opts.Password = reg.User, reg.Password
	}
	if err := sess.WaitAnswer(ctx, opts); err != nil {
		_ = sess.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if d, ok := minSEOf422(err); ok {
			return nil, &intervalTooSmallError{minSE: d}
		}
		return nil, mapFailure(err)
	}
	return sess, nil
}

// connect ACKs the 200, applies the answer SDP and builds the leg. If ctx
// ended meanwhile the call is hung up, not returned.
func (t *Trunk) connect(ctx context.Context, req sfu.DialRequest, sess *sipgo.DialogClientSession, m mediaSession) (*Leg, error) {
	if err := sess.Ack(ctx); err != nil {
		t.log.Warn("ACK failed", "err", err)
	}
	fail := func(err error) (*Leg, error) {
		_ = m.Close()
		bctx, cancel := withTimeout(context.Background())
		defer cancel()
		_ = sess.Bye(bctx)
		_ = sess.Close()
		return nil, err
	}
	if err := m.Accept(string(sess.InviteResponse.Body())); err != nil {
		return fail(fmt.Errorf("%w: %w", sfu.ErrNegotiation, err))
	}
	if ctx.Err() != nil {
		return fail(context.Cause(ctx))
	}
	callID := sess.InviteRequest.CallID().Value()
	leg, err := newLeg(sfu.NewID("sip"), sfu.Identity{Number: req.To}, sfu.TrunkOrigin(t.cfg.Trunk.Name, true), m, t.log)
	if err != nil {
		return fail(err)
	}
	leg.callID = req.CallID
	leg.timer = uacTimer(sess.InviteResponse)
	leg.mediaTimeout = t.mediaTimeout()
	leg.setDialog(clientDialog{sess})
	leg.onDTMF = t.dtmfSender(leg)
	if err := t.track(callID, leg, sess); err != nil {
		return fail(err)
	}
	leg.start()
	return leg, nil
}

// refused logs a call the gate refused: on the security stream when it
// was forbidden (a far side may be probing for toll fraud). The line has
// no remote address: the asker is a browser session (the web layer logs
// its address), a room or a trunk's peer, which must not be banned.
func (t *Trunk) refused(req sfu.DialRequest, err error) {
	args := []any{"trunk", t.cfg.Trunk.Name, "origin", req.Origin.String(), "to", req.To, "err", err}
	if req.TransferredBy.Kind != sfu.OriginUnknown {
		args = append(args, "transferred_by", req.TransferredBy.String())
	}
	if errors.Is(err, ErrForbidden) {
		t.Stats.TollRefused.Add(1)
		t.security.Warn("security: outbound call refused", args...)
		return
	}
	t.log.Warn("outbound call refused", args...)
}

// callerID is the From user of outbound calls.
func (t *Trunk) callerID(number string) string {
	if t.cfg.Trunk.CallerID != "" {
		return t.cfg.Trunk.CallerID
	}
	return number
}

// codecs is the trunk's codec preference.
func (t *Trunk) codecs() []string {
	if len(t.cfg.Trunk.Codecs) > 0 {
		return t.cfg.Trunk.Codecs
	}
	return []string{"pcmu", "pcma", "opus"}
}

// mapFailure maps a SIP final response to call-control errors.
func mapFailure(err error) error {
	var de *sipgo.ErrDialogResponse
	if !errors.As(err, &de) || de.Res == nil {
		return fmt.Errorf("%w: %v", ErrTrunkUnavailable, err)
	}
	return StatusError(de.Res.StatusCode, de.Res.Reason)
}

// StatusError maps a SIP failure status to the sfu sentinel for it.
func StatusError(code int, reason string) error {
	var base error
	switch code {
	case 486, 600:
		base = sfu.ErrBusy
	case 404, 484, 604:
		base = sfu.ErrNotFound
	case 480, 410:
		base = sfu.ErrUnavailable
	case 603, 403:
		base = sfu.ErrDeclined
	case 408, 487:
		base = sfu.ErrNoAnswer
	default:
		base = ErrTrunkUnavailable
	}
	return fmt.Errorf("%w (SIP %d %s)", base, code, reason)
}
