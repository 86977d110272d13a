package siptrunk

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"xphone/siptrunk/sipmedia"
)

// dialogSession is what both sipgo dialog sessions offer for requests we
// originate inside a dialog.
type dialogSession interface {
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
}

// remoteTarget is where in-dialog requests go: the peer's Contact.
func (d clientDialog) remoteTarget() sip.Uri {
	if c := d.s.InviteResponse.Contact(); c != nil {
		return *c.Address.Clone()
	}
	return *d.s.InviteRequest.Recipient.Clone()
}

func (d clientDialog) session() dialogSession { return d.s }

// replaces names the dialog as the peer knows it, for a Replaces header
// (RFC 3891: its to-tag is the peer's tag, from-tag ours).
func (d clientDialog) replaces() string {
	peer, _ := d.s.InviteResponse.To().Params.Get("tag")
	ours, _ := d.s.InviteRequest.From().Params.Get("tag")
	return d.s.InviteRequest.CallID().Value() + ";to-tag=" + peer + ";from-tag=" + ours
}

func (d serverDialog) replaces() string {
	peer, _ := d.s.InviteRequest.From().Params.Get("tag")
	ours, _ := d.s.InviteResponse.To().Params.Get("tag")
	return d.s.InviteRequest.CallID().Value() + ";to-tag=" + peer + ";from-tag=" + ours
}

func (d serverDialog) remoteTarget() sip.Uri {
	if c := d.s.InviteRequest.Contact(); c != nil {
		return *c.Address.Clone()
	}
	return *d.s.InviteRequest.From().Address.Clone()
}

func (d serverDialog) session() dialogSession { return d.s }

// request sends a request inside the leg's dialog and waits for the final
// response. Requests are serialised per leg: sipgo numbers them from the
// dialog's last CSeq, and an ACK must carry its INVITE's number.
func (l *Leg) request(ctx context.Context, method sip.RequestMethod, ctype string, body []byte, hdrs ...sip.Header) (*sip.Response, error) {
	dp := l.dlg.Load()
	if dp == nil {
		return nil, fmt.Errorf("%w: no dialog yet", ErrDialog)
	}
	d := *dp
	l.reqMu.Lock()
	defer l.reqMu.Unlock()
	r := sip.NewRequest(method, d.remoteTarget())
	for _, h := range hdrs {
		r.AppendHeader(h)
	}
	if ctype != "" {
		r.AppendHeader(sip.NewHeader("Content-Type", ctype))
	}
	r.SetBody(body)
	if overUDPLimit(l.transport, r, builtHeaders) {
		sendOverTCP(r)
	}
	res, err := d.session().Do(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDialog, method, err)
	}
	if method == sip.INVITE && res.IsSuccess() {
		l.ackReInvite(d, r, res)
	}
	if !res.IsSuccess() {
		return res, fmt.Errorf("%w: %s answered %d %s", ErrDialog, method, res.StatusCode, res.Reason)
	}
	return res, nil
}

// ackReInvite acknowledges the 2xx of our re-INVITE (the transaction
// user's job for INVITE 2xx, RFC 3261 §13.2.2.4).
func (l *Leg) ackReInvite(d dialog, inv *sip.Request, res *sip.Response) {
	ack := sip.NewRequest(sip.ACK, d.remoteTarget())
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetBody(nil)
	if err := d.session().WriteRequest(ack); err != nil {
		l.log.Debug("ACK of re-INVITE not sent", "err", err)
	}
}

// reInvite sends our SDP again with direction dir (hold, resume, session
// refresh) and acknowledges the answer. The media itself is unchanged.
func (l *Leg) reInvite(ctx context.Context, dir string, hdrs ...sip.Header) error {
	body := sipmedia.WithDirection(sipmedia.WithVersion(l.media.LocalSDP(), l.sdpVersion.Add(1)), dir)
	res, err := l.request(ctx, sip.INVITE, "application/sdp", []byte(body), hdrs...)
	if err == nil {
		l.peerDir.Store(sipmedia.Direction(string(res.Body())))
	}
	return err
}
