package siptrunk

import (
	"context"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// serverDialog ends an inbound dialog.
type serverDialog struct{ s *sipgo.DialogServerSession }

func (d serverDialog) bye(ctx context.Context) error { return d.s.Bye(ctx) }

// answerTimeout bounds how long an inbound call may wait for call control.
const answerTimeout = 3 * time.Minute

// onInvite handles a new call from the trunk, or a re-INVITE in a dialog.
func (t *Trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		t.onReInvite(req, tx)
		return
	}
	if t.placer == nil {
		t.respond(req, tx, 480, "Temporarily Unavailable")
		return
	}
	if !t.allowCall(req) {
		t.respond(req, tx, 503, "Service Unavailable", sip.NewHeader("Retry-After", "1"))
		return
	}
	if req.Contact() == nil {
		t.respond(req, tx, 400, "Missing Contact")
		return
	}
	timer, ok := t.uasTimer(req)
	if !ok {
		t.respond422(req, tx)
		return
	}
	dss, err := t.dua.ReadInvite(req, tx)
	if err != nil {
		t.respond(req, tx, 400, "Bad Request")
		return
	}
	defer func() { _ = dss.Close() }()
	_ = dss.Respond(100, "Trying", nil)
	leg, answer, err := t.inboundLeg(req)
	if err != nil {
		t.log.Warn("inbound call refused", "err", err)
		_ = dss.Respond(488, "Not Acceptable Here", nil)
		return
	}
	leg.timer = timer
	leg.mediaTimeout = t.mediaTimeout()
	t.runInbound(req, dss, leg, answer)
}

// inboundLeg answers the offer's media and builds the caller's leg.
func (t *Trunk) inboundLeg(req *sip.Request) (*Leg, string, error) {
	ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
	defer cancel()
	m, err := t.newMedia(string(req.Body()), sipmedia.OffersVideo(string(req.Body())), "")
	if err != nil {
		return nil, "", err
	}
	answer, err := m.Answer(ctx, string(req.Body()))
	if err != nil {
		_ = m.Close()
		return nil, "", err
	}
	leg, err := newLeg(sfu.NewID("sip"), callerIdentity(req), sfu.TrunkOrigin(t.cfg.Trunk.Name, false), m, t.log)
	if err != nil {
		_ = m.Close()
		return nil, "", err
	}
	leg.events = make(chan inboundEvent, 4)
	return leg, answer, nil
}

// runInbound places the call and turns its progress into SIP responses:
// 180 on ringing, 200 on answer, a failure code when the leg ends first,
// and stops when the peer CANCELs.
func (t *Trunk) runInbound(req *sip.Request, dss *sipgo.DialogServerSession, leg *Leg, answer string) {
	callID := req.CallID().Value()
	if err := t.track(callID, leg, dss); err != nil {
		_ = dss.Respond(503, "Service Unavailable", nil)
		leg.end(sfu.ReasonError, false)
		return
	}
	leg.onDTMF, leg.transport, leg.trunk = t.dtmfSender(leg), t.transport(), t
	leg.start()
	to := t.inboundTarget(req.Recipient.User)
	t.Stats.Inbound.Add(1)
	leg.callID = sfu.NewID("call")
	if _, err := t.placer.Place(sfu.PlaceRequest{ID: leg.callID, Caller: leg, To: to, Video: leg.vup != nil, Observer: leg}); err != nil {
		_ = dss.Respond(503, "Service Unavailable", nil)
		leg.end(sfu.ReasonError, false)
		return
	}
	timeout := time.NewTimer(answerTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev := <-leg.events:
			if ev == eventRinging {
				_ = dss.Respond(180, "Ringing", nil)
				continue
			}
			if err := t.answerInvite(req, dss, leg, answer); err != nil {
				leg.end(sfu.ReasonMediaFailed, false)
				return
			}
			leg.setDialog(serverDialog{dss})
			return
		case <-leg.Done():
			code, reason := failureStatus(leg.EndReason())
			_ = dss.Respond(code, reason, nil, reasonHeader(leg.EndReason()))
			return
		case <-dss.Context().Done():
			leg.end(sfu.ReasonCancelled, false)
			return
		case <-timeout.C:
			_ = dss.Respond(480, "Temporarily Unavailable", nil)
			leg.end(sfu.ReasonNoAnswer, false)
			return
		}
	}
}

// answerInvite sends the 200 with our SDP and, when a session timer was
// agreed, its Session-Expires (and Require: timer if the peer supports it).
func (t *Trunk) answerInvite(req *sip.Request, dss *sipgo.DialogServerSession, leg *Leg, answer string) error {
	hdrs := []sip.Header{sip.NewHeader("Content-Type", "application/sdp")}
	if leg.timer != nil {
		hdrs = append(hdrs, leg.timer.headers()...)
		if supportsTimer(req) {
			hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
		}
	}
	return dss.Respond(200, "OK", []byte(answer), hdrs...)
}

// inboundTarget maps the called number through the trunk's inbound routes.
func (t *Trunk) inboundTarget(called string) string {
	if to, ok := t.cfg.Trunk.Inbound[called]; ok {
		return to
	}
	return called
}

// failureStatus maps why a leg ended before answer to a SIP final response.
func failureStatus(r sfu.Reason) (int, string) {
	switch r {
	case sfu.ReasonBusy:
		return 486, "Busy Here"
	case sfu.ReasonDeclined:
		return 603, "Decline"
	case sfu.ReasonUnavailable, sfu.ReasonNoAnswer:
		return 480, "Temporarily Unavailable"
	case sfu.ReasonDND: // RFC 3261 21.4.18 names do-not-disturb as a use of 480
		return 480, "Do Not Disturb"
	case sfu.ReasonNotFound:
		return 404, "Not Found"
	case sfu.ReasonForbidden:
		return 403, "Forbidden"
	case sfu.ReasonCancelled:
		return 487, "Request Terminated"
	}
	return 500, "Server Internal Error"
}

// onReInvite answers an in-dialog INVITE (hold, resume, refresh, moved
// media) with our SDP, mirroring the direction (pitfall 6).
func (t *Trunk) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	l := t.legFor(req.CallID().Value())
	if l == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	t.Stats.ReInvites.Add(1)
	t.answerInDialog(req, tx, l)
}

// onUpdate answers an UPDATE in a dialog (RFC 3311) like a re-INVITE: an
// SDP offer gets our unchanged SDP with the direction mirrored; without a
// body it refreshes the session timer.
func (t *Trunk) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	l := t.legFor(req.CallID().Value())
	if l == nil || l.dlg.Load() == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	t.Stats.Updates.Add(1)
	t.answerInDialog(req, tx, l)
}

// answerInDialog answers a re-INVITE or UPDATE: an offer is applied to
// the media (a moved address, a new SDES key) and answered with our SDP,
// the direction mirrored, and may hold or resume the call; an offer the
// media cannot follow — or a body that is no audio offer at all — gets
// 488 and changes nothing (RFC 3261 §14.2). A re-INVITE without a body
// gets our SDP as the offer (§14.2); a bodiless UPDATE just refreshes.
// A Session-Expires below our Min-SE gets 422 as on a new INVITE. The
// Content-Type was checked by validate (415).
func (t *Trunk) answerInDialog(req *sip.Request, tx sip.ServerTransaction, l *Leg) {
	if se, _, has := sessionExpires(req); has && se < minSE {
		t.respond422(req, tx)
		return
	}
	offer := string(req.Body())
	var res *sip.Response
	dir := ""
	switch {
	case offer == "" && req.IsInvite():
		res = sip.NewSDPResponseFromRequest(req, []byte(sipmedia.WithDirection(l.media.LocalSDP(), l.currentDirection())))
	case offer == "":
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	case !sipmedia.HasAudio(offer):
		t.log.Warn("in-dialog offer without audio refused", "method", req.Method)
		t.respond(req, tx, 488, "Not Acceptable Here", sip.NewHeader("Warning", `304 xphone "no audio media in the offer"`))
		return
	default:
		answer, err := l.media.Update(offer)
		if err != nil {
			t.log.Warn("in-dialog media change refused", "method", req.Method, "err", err)
			t.respond(req, tx, 488, "Not Acceptable Here")
			return
		}
		dir = sipmedia.AnswerDirection(offer)
		res = sip.NewSDPResponseFromRequest(req, []byte(sipmedia.MirrorDirections(offer, answer)))
	}
	t.sendInDialog(req, tx, l, res)
	if dir != "" {
		l.answerDir.Store(dir)
		t.peerHold(l, dir == "recvonly" || dir == "inactive")
	}
}

// sendInDialog sends an in-dialog 2xx with our Contact and session timer.
func (t *Trunk) sendInDialog(req *sip.Request, tx sip.ServerTransaction, l *Leg, res *sip.Response) {
	res.AppendHeader(&t.dua.ContactHDR)
	if l.timer != nil {
		for _, h := range l.timer.headers() {
			res.AppendHeader(h)
		}
		l.timer.peerRefreshed()
	}
	if err := tx.Respond(res); err != nil {
		t.log.Debug("in-dialog answer not sent", "method", req.Method, "err", err)
	}
}

// currentDirection is the direction of our side's media now: the last
// one we answered a peer's offer with, else sendrecv.
func (l *Leg) currentDirection() string {
	if d, ok := l.answerDir.Load().(string); ok && d != "" {
		return d
	}
	return "sendrecv"
}

// Holder is call control's hold operation; *sfu.Calls implements it.
// When the trunk's Placer is also a Holder, a peer's re-INVITE to
// sendonly/inactive holds the call and sendrecv resumes it.
type Holder interface {
	Hold(callID string, leg sfu.Leg, on bool) error
}

// peerHold tells call control that the peer held or resumed.
func (t *Trunk) peerHold(l *Leg, on bool) {
	h, ok := t.placer.(Holder)
	if !ok || l.callID == "" || l.held.Swap(on) == on {
		return
	}
	if err := h.Hold(l.callID, l, on); err != nil {
		t.log.Debug("peer hold not applied", "err", err)
	}
}

// inboundEvent is call progress of an inbound leg.
type inboundEvent int

const (
	eventRinging inboundEvent = iota + 1
	eventConnected
)

// Ringing implements sfu.CallObserver: the callee is alerted (180).
func (l *Leg) Ringing(string) { l.signal(eventRinging) }

// Connected implements sfu.CallObserver: the callee answered (200).
func (l *Leg) Connected(string, sfu.Identity, bool, time.Time) { l.signal(eventConnected) }

func (l *Leg) signal(ev inboundEvent) {
	select {
	case l.events <- ev:
	default:
	}
}
