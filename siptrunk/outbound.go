package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// clientDialog ends an outbound dialog.
type clientDialog struct{ s *sipgo.DialogClientSession }

func (d clientDialog) bye(ctx context.Context) error { return d.s.Bye(ctx) }

// Dial implements sfu.Dialer: the toll-fraud gate decides from the
// request's origins (never its From), then it sends INVITE (answering
// auth challenges), reports 180/183 as ringing and starts early media,
// and returns the SIP leg on 200. When ctx ends first it sends CANCEL.
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
	m, err := t.newMedia("", req.Video, req.VideoMime)
	if err != nil {
		return nil, err
	}
	offer, err := m.Offer(ctx)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	d := &dialing{req: req, m: m}
	sess, err := t.inviteWithTimer(ctx, d, route.Number, offer)
	if err != nil {
		d.abandon(err)
		return nil, err
	}
	leg, err := t.connect(ctx, d, sess)
	if err != nil {
		return nil, err
	}
	t.log.Info("outbound call answered", "to", route.Number, "setup", time.Since(start))
	return leg, nil
}

// invite sends the INVITE and waits for the final answer.
func (t *Trunk) invite(ctx context.Context, d *dialing, number, offer string, se time.Duration) (*sipgo.DialogClientSession, error) {
	req := d.req
	to := t.peerURI(number)
	from := &sip.FromHeader{DisplayName: req.From.Name, Address: sip.Uri{User: t.callerID(req.From.Number), Host: t.peer.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	r := sip.NewRequest(sip.INVITE, to)
	r.AppendHeader(from)
	r.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if h := t.assertedIdentity(req.From); h != nil {
		r.AppendHeader(h)
	}
	for _, h := range inviteTimerHeaders(se) {
		r.AppendHeader(h)
	}
	r.SetBody([]byte(offer))
	if t.overUDPLimit(r, builtHeaders) {
		sendOverTCP(r)
	}
	t.Stats.Invites.Add(1)
	sess, err := t.dua.WriteInvite(ctx, r, buildRequest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrunkUnavailable, err)
	}
	ringing := false
	var opts sipgo.AnswerOptions
	if reg := t.cfg.Trunk.Register; reg != nil {
		opts.Username, opts.Password = reg.User, reg.Password
	}
	opts.OnResponse = func(res *sip.Response) error {
		if (res.StatusCode == 180 || res.StatusCode == 183) && !ringing && req.Ringing != nil {
			ringing = true
			req.Ringing()
		}
		if res.StatusCode > 100 && res.StatusCode < 200 {
			t.earlyMedia(d, res)
		}
		t.authorizedOverTCP(sess.InviteRequest, res, opts)
		return nil
	}
	if err := t.waitAnswer(ctx, sess, opts); err != nil {
		if errors.Is(err, errAbandoned) {
			return nil, context.Cause(ctx) // the trunk finishes the dialog
		}
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

// authorizedOverTCP moves our INVITE to TCP before sipgo re-sends it with
// the credentials answering res's challenge, when that makes it too large
// for UDP.
func (t *Trunk) authorizedOverTCP(inv *sip.Request, res *sip.Response, opts sipgo.AnswerOptions) {
	if (res.StatusCode != 401 && res.StatusCode != 407) || opts.Password == "" || inv.Transport() != "UDP" {
		return
	}
	if n := authorizedSize(inv, res, opts.Username, opts.Password); t.transport() == "udp" && n > udpRequestLimit {
		t.log.Debug("authorized INVITE too large for UDP: sending it over TCP", "bytes", n)
		sendOverTCP(inv)
	}
}

// connect ACKs the 200, applies the answer SDP and builds the leg (or
// takes the early-media leg, already running). If ctx ended meanwhile
// the call is hung up, not returned.
func (t *Trunk) connect(ctx context.Context, d *dialing, sess *sipgo.DialogClientSession) (*Leg, error) {
	if err := sess.Ack(ctx); err != nil {
		t.log.Warn("ACK failed", "err", err)
	}
	fail := func(err error) (*Leg, error) {
		d.abandon(err)
		bctx, cancel := withTimeout(context.Background())
		defer cancel()
		_ = sess.Bye(bctx)
		_ = sess.Close()
		return nil, err
	}
	leg, err := t.answeredLeg(d, string(sess.InviteResponse.Body()))
	if err != nil {
		return fail(err)
	}
	if ctx.Err() != nil {
		return fail(context.Cause(ctx))
	}
	leg.callID = d.req.CallID
	leg.timer = uacTimer(sess.InviteResponse)
	leg.setDialog(clientDialog{sess})
	if err := t.track(sess.InviteRequest.CallID().Value(), leg, sess); err != nil {
		return fail(err)
	}
	if d.early == nil {
		leg.start()
	}
	return leg, nil
}

// answeredLeg applies the 200's SDP and builds the leg, or returns the
// early-media leg (whose SDP the 200 repeats, RFC 3261 §13.2.1).
func (t *Trunk) answeredLeg(d *dialing, answer string) (*Leg, error) {
	if d.early != nil {
		if answer != "" && answer != d.earlySDP {
			t.log.Info("answer SDP differs from the early media's; keeping the early media's")
		}
		return d.early, nil
	}
	if err := d.m.Accept(answer); err != nil {
		return nil, fmt.Errorf("%w: %w", sfu.ErrNegotiation, err)
	}
	return t.newOutboundLeg(d)
}

// newOutboundLeg builds the leg of an outbound call over d's negotiated
// media (not started).
func (t *Trunk) newOutboundLeg(d *dialing) (*Leg, error) {
	leg, err := newLeg(sfu.NewID("sip"), sfu.Identity{Number: d.req.To}, sfu.TrunkOrigin(t.cfg.Trunk.Name, true), d.m, t.log)
	if err != nil {
		return nil, err
	}
	leg.mediaTimeout = t.mediaTimeout()
	leg.onDTMF, leg.transport, leg.trunk = t.dtmfSender(leg), t.transport(), t
	return leg, nil
}

// dialing is one outbound call being set up.
type dialing struct {
	req      sfu.DialRequest
	m        sipmedia.Session
	early    *Leg   // the leg, running since the peer's early media
	earlySDP string // the SDP of that 18x
}

// abandon releases the media of a call that failed before answer: the
// early-media leg ends (call control lets it go), else the media closes.
func (d *dialing) abandon(err error) {
	if d.early != nil {
		d.early.end(sfu.ReasonFor(err), false)
		return
	}
	_ = d.m.Close()
}

// earlyMedia starts the leg when the peer answers the INVITE with SDP in
// a provisional response (183 Session Progress: ringback, announcements),
// so the caller hears it before the answer.
func (t *Trunk) earlyMedia(d *dialing, res *sip.Response) {
	body := string(res.Body())
	if d.early != nil || d.req.EarlyMedia == nil || !sipmedia.HasAudio(body) {
		return
	}
	if err := d.m.Accept(body); err != nil {
		t.log.Warn("early media SDP refused", "status", res.StatusCode, "err", err)
		return
	}
	leg, err := t.newOutboundLeg(d)
	if err != nil {
		t.log.Warn("early media leg", "err", err)
		return
	}
	d.early, d.earlySDP = leg, body
	leg.start()
	t.log.Info("early media from the trunk", "status", res.StatusCode, "to", d.req.To)
	d.req.EarlyMedia(leg)
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

// newMedia is a call's media back-end for the trunk's media settings
// and, inbound, the peer's offer (sipmedia.New chooses).
// videoCodec is the only video codec to offer (the caller's, outbound).
func (t *Trunk) newMedia(offer string, video bool, videoCodec string) (sipmedia.Session, error) {
	tc := t.cfg.Trunk
	return sipmedia.New(sipmedia.Config{IP: t.mediaIP, Codecs: t.codecs(), Media: tc.Media, ICE: tc.ICE, Log: t.log,
		VideoCodec: videoCodec}, offer, video)
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
	return responseError(de.Res)
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
	case 503:
		// The trunk answered, so it is there: overloaded or out of lines
		// (Asterisk's Congestion(), whose Reason cause may be missing).
		base = sfu.ErrCongestion
	default:
		base = ErrTrunkUnavailable
	}
	return fmt.Errorf("%w (SIP %d %s)", base, code, reason)
}
