package siptrunk

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// ErrReferred: the transfer was handed to the PBX by REFER (refer_to_trunk)
// and our leg has ended; call control has nothing left to dial.
var ErrReferred = fmt.Errorf("siptrunk: call transferred by REFER to the trunk: %w", sfu.ErrHandedOver)

// referTimeout bounds the wait for the PBX's final NOTIFY: it comes when
// the transfer target answers or fails, so it covers ringing.
var referTimeout = 60 * time.Second

// referOut transfers the call whose trunk leg is l to number (already
// checked by Allowed with the transferor's class) by sending REFER to the
// PBX (RFC 3515, RFC 5589 §6): Refer-To the number at the trunk,
// Referred-By the transferor. A final NOTIFY sipfrag 2xx means the PBX
// connected its caller to the target: we end our leg (BYE) and return
// nil, as when the PBX ends the call meanwhile. Any refusal, failure or
// timeout returns an error and leaves the call as it was, for the
// server's re-route.
func (t *Trunk) referOut(ctx context.Context, l *Leg, number string, transferor sfu.Identity) error {
	target := t.peerURI(number)
	by := sip.Uri{User: transferor.Number, Host: t.dua.ContactHDR.Address.Host}
	return t.refer(ctx, l, "<"+target.String()+">", sip.NewHeader("Referred-By", "<"+by.String()+">"))
}

// refer sends REFER with referTo in l's dialog and waits for the final
// sipfrag (see referOut).
func (t *Trunk) refer(ctx context.Context, l *Leg, referTo string, hdrs ...sip.Header) error {
	ch := make(chan int, 8)
	if !l.referOut.CompareAndSwap(nil, &ch) {
		return fmt.Errorf("%w: a REFER is already pending", ErrDialog)
	}
	defer l.referOut.Store(nil)
	ctx, cancel := context.WithTimeout(ctx, referTimeout)
	defer cancel()
	if _, err := l.request(ctx, sip.REFER, "", nil, append(hdrs, sip.NewHeader("Refer-To", referTo))...); err != nil {
		return err
	}
	for {
		select {
		case code := <-ch:
			switch {
			case code < 200:
				continue
			case code < 300:
				t.log.Info("transfer handed to the trunk by REFER", "refer_to", referTo)
				l.end(sfu.ReasonTransferred, true)
				return nil
			default:
				return fmt.Errorf("%w: REFER target answered %d", ErrDialog, code)
			}
		case <-l.ctx.Done():
			// Some PBXs BYE the transferor as soon as the transfer works,
			// before the NOTIFY: the caller is gone, re-routing would dial
			// for nobody.
			t.log.Info("trunk ended the call during our REFER", "refer_to", referTo)
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%w: no final NOTIFY for the REFER: %w", ErrDialog, context.Cause(ctx))
		}
	}
}

// tryReferOut is Dial's REFER path: with refer_to_trunk, a transfer
// (req.Transferor set) of a call whose other party is one of our trunk
// legs goes to the PBX by REFER first. It reports whether the call was
// handed over; false means dial as usual.
func (t *Trunk) tryReferOut(ctx context.Context, req sfu.DialRequest, number string) bool {
	if !t.cfg.Trunk.ReferToTrunk || req.Transferor.Number == "" {
		return false
	}
	l := t.legInCall(req.CallID)
	if l == nil {
		return false
	}
	if err := t.referOut(ctx, l, number, req.Transferor); err != nil {
		t.log.Info("REFER to the trunk failed; re-routing through Xphone", "to", number, "err", err)
		return false
	}
	return true
}

// legInCall is our established leg in call control's call id, if any.
func (t *Trunk) legInCall(callID string) *Leg {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.legs {
		if l.callID == callID && l.dlg.Load() != nil {
			return l
		}
	}
	return nil
}

// onNotify takes a NOTIFY of the REFER we sent: its sipfrag status goes
// to the waiting referOut; every NOTIFY in a dialog is answered 200.
func (t *Trunk) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if w := t.watcherFor(req.CallID().Value()); w != nil {
		w.notify(req, tx)
		return
	}
	l := t.legFor(req.CallID().Value())
	if l == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	t.respond(req, tx, 200, "OK")
	code, ok := sipfragStatus(string(req.Body()))
	t.log.Debug("NOTIFY in a dialog", "sipfrag", code, "state", req.GetHeader("Subscription-State"))
	if ch := l.referOut.Load(); ok && ch != nil {
		select {
		case *ch <- code:
		default:
		}
	}
}

// sipfragStatus is the status code of a sipfrag body "SIP/2.0 200 OK".
func sipfragStatus(body string) (int, bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, false
	}
	code, err := strconv.Atoi(f[1])
	return code, err == nil && code >= 100 && code < 700
}

// errNotReplaceable: an attended transfer cannot be handed to the PBX.
var errNotReplaceable = fmt.Errorf("%w: not two legs of a refer_to_trunk trunk", ErrDialog)

// Replace implements sfu.Replacer: an attended transfer between two of
// this trunk's calls is handed to the PBX (refer_to_trunk) by a REFER in
// l's dialog whose Refer-To replaces with's dialog (RFC 5589 §7, RFC
// 3891): the PBX joins its two parties itself and ends both our legs,
// so the media no longer runs through Xphone. Refused or failed, nothing
// changes and call control joins the parties itself.
func (l *Leg) Replace(ctx context.Context, with sfu.Leg) error {
	o, ok := with.(*Leg)
	if !ok || l.trunk == nil || o.trunk != l.trunk || !l.trunk.cfg.Trunk.ReferToTrunk {
		return errNotReplaceable
	}
	d := o.dlg.Load()
	if d == nil || l.dlg.Load() == nil {
		return fmt.Errorf("%w: a dialog is not established", ErrDialog)
	}
	l.handingOver.Store(true)
	o.handingOver.Store(true)
	defer func() {
		l.handingOver.Store(false)
		o.handingOver.Store(false)
	}()
	target := (*d).remoteTarget()
	target.UriParams, target.Headers = nil, nil
	referTo := "<" + target.String() + "?Replaces=" + url.QueryEscape((*d).replaces()) + ">"
	if err := l.trunk.refer(ctx, l, referTo); err != nil {
		return err
	}
	o.end(sfu.ReasonTransferred, true)
	return nil
}
