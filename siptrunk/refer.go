package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// Transferer is call control's blind transfer; *sfu.Calls implements it.
// A REFER from the trunk becomes a transfer of our party to the target.
type Transferer interface {
	Transfer(callID string, from sfu.Leg, to string) error
}

// onRefer honours a REFER from the trunk (RFC 3515): the peer asks our
// party to call the Refer-To target. Extensions and rooms (local numbers
// win over dial rules) are always fine; an outside target must pass the
// toll-fraud gate as a transfer asked by this trunk (its refer_permission
// and a transit rule; none by default) before anything is dialled.
func (t *Trunk) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	l := t.legFor(req.CallID().Value())
	if l == nil || l.dlg.Load() == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	target, err := referTarget(req)
	if err != nil {
		t.Stats.BadRequests.Add(1)
		t.respond(req, tx, 400, "Bad Refer-To")
		return
	}
	if err := t.referAllowed(l, target); err != nil {
		t.Stats.RefersRefused.Add(1)
		t.security.Warn("security: REFER refused", "trunk", t.cfg.Trunk.Name, "origin", l.Origin().String(), "to", target, "err", err)
		t.respond(req, tx, 403, "Forbidden")
		return
	}
	tr, ok := t.placer.(Transferer)
	if !ok || l.callID == "" {
		t.respond(req, tx, 603, "Decline")
		return
	}
	t.respond(req, tx, 202, "Accepted")
	l.referring.Store(true)
	t.goOwned(func() { t.carryOutRefer(l, tr, target) })
}

// carryOutRefer hands our party to call control. Call control drops the
// referrer's leg at once (a blind transfer); the leg then sends the final
// NOTIFY (sipfrag 200) before its BYE (Leg.finish). A refusal by call
// control is reported in the NOTIFY instead and the call goes on.
func (t *Trunk) carryOutRefer(l *Leg, tr Transferer, target string) {
	l.notifyRefer("100 Trying", "active;expires=60")
	if err := tr.Transfer(l.callID, l, target); err != nil {
		l.referring.Store(false)
		t.log.Warn("REFER transfer failed", "target", target, "err", err)
		code, reason := failureStatus(sfu.ReasonFor(err))
		l.notifyRefer(fmt.Sprintf("%d %s", code, reason), "terminated;reason=noresource")
		return
	}
	t.Stats.Refers.Add(1)
}

// notifyRefer sends a NOTIFY of the REFER's implicit subscription with a
// sipfrag status line ("200 OK").
func (l *Leg) notifyRefer(status, state string) {
	ctx, cancel := withTimeout(context.Background())
	defer cancel()
	_, err := l.request(ctx, sip.NOTIFY, "message/sipfrag;version=2.0", []byte("SIP/2.0 "+status+"\r\n"),
		sip.NewHeader("Event", "refer"), sip.NewHeader("Subscription-State", state))
	if err != nil {
		l.log.Debug("REFER NOTIFY not delivered", "status", status, "err", err)
	}
}

// errBadReferTo: the REFER has no usable Refer-To.
var errBadReferTo = errors.New("siptrunk: bad Refer-To")

// referTarget is the user part of the single Refer-To URI.
func referTarget(req *sip.Request) (string, error) {
	hs := req.GetHeaders("Refer-To")
	if len(hs) == 0 {
		hs = req.GetHeaders("r")
	}
	if len(hs) != 1 {
		return "", fmt.Errorf("%w: %d Refer-To headers", errBadReferTo, len(hs))
	}
	v := strings.TrimSpace(hs[0].Value())
	if i := strings.IndexByte(v, '<'); i >= 0 {
		end := strings.IndexByte(v[i:], '>')
		if end < 0 {
			return "", errBadReferTo
		}
		v = v[i+1 : i+end]
	}
	var u sip.Uri
	if err := sip.ParseUri(v, &u); err != nil || u.User == "" {
		return "", fmt.Errorf("%w: %q", errBadReferTo, v)
	}
	return u.User, nil
}

// referAllowed is the REFER's early check, before 202: a local target is
// fine, and so is a number no dial rule routes (call control then answers
// it with 404 in the NOTIFY); an outside number must pass the gate as a
// transfer asked by the referring leg's trunk. Call control and Dial
// decide again, with the party's own origin too.
func (t *Trunk) referAllowed(l *Leg, target string) error {
	g := t.gate()
	if g.Local(target) {
		return nil
	}
	_, err := g.Decide(sfu.DialRequest{To: target, Origin: l.Origin(), TransferredBy: l.Origin()})
	if errors.Is(err, ErrTrunkUnavailable) {
		return nil
	}
	return err
}
