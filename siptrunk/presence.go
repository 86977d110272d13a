package siptrunk

import (
	"context"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// Presence of PBX phones: the trunk SUBSCRIBEs (RFC 6665) to the dialog
// event package (RFC 4235) of every number in its presence list (Asterisk:
// hints in the endpoint's subscribe_context) and turns the dialog-info
// NOTIFYs into sfu presence states on the board: a confirmed dialog is
// "on a call", an early one "ringing", none "available". A subscription
// the PBX refuses, ends or stops answering makes the number "offline"
// until a retry (backoff 1 s doubling to at most 45 s) succeeds. Asterisk's
// dialog-info says "terminated" both for an idle and for an unregistered
// phone, so offline means "not watched", not "phone unplugged".

// presenceExpiry is the subscription lifetime we ask for.
const presenceExpiry = 600 * time.Second

// watcher keeps one number subscribed.
type watcher struct {
	t       *Trunk
	number  string
	callID  string
	fromTag string
	ended   chan struct{} // a NOTIFY said the subscription is terminated
	// ctx ends the watcher's refreshes; closing the trunk cancels it first,
	// so a SUBSCRIBE in flight to a silent PBX does not hold up the close.
	ctx    context.Context
	cancel context.CancelFunc

	// mu makes our requests in the subscription dialog one at a time (as
	// Leg.reqMu does for calls): a refresh and the closing unsubscribe must
	// not interleave their CSeqs or digest re-sends.
	mu      sync.Mutex
	cseq    uint32
	toTag   string // the PBX's tag, from its 200 (refreshes are in-dialog)
	closing bool   // unsubscribed: no more refreshes
}

// SetPresenceBoard is where the trunk's presence goes; call it before Start.
func (t *Trunk) SetPresenceBoard(b *sfu.PresenceBoard) { t.board = b }

// startPresence starts one watcher per number of the presence list.
func (t *Trunk) startPresence() {
	if t.board == nil {
		return
	}
	for _, n := range t.cfg.Trunk.Presence {
		w := &watcher{t: t, number: n, callID: sip.GenerateTagN(24), fromTag: sip.GenerateTagN(16), ended: make(chan struct{}, 1)}
		w.ctx, w.cancel = context.WithCancel(t.ctx)
		t.mu.Lock()
		t.watchers[w.callID] = w
		t.mu.Unlock()
		t.board.Set(n, sfu.PresenceOffline)
		t.goOwned(w.run)
	}
}

// unsubscribeAll ends every subscription the PBX granted (SUBSCRIBE with
// Expires: 0, RFC 6665 §4.1.2.3), so a closed or reloaded trunk leaves no
// subscription behind that the PBX keeps NOTIFYing until it expires.
// It runs beside the BYEs and the unREGISTER when the trunk closes.
func (t *Trunk) unsubscribeAll(ctx context.Context, wg *sync.WaitGroup) {
	t.mu.Lock()
	watchers := make([]*watcher, 0, len(t.watchers))
	for _, w := range t.watchers {
		watchers = append(watchers, w)
	}
	t.mu.Unlock()
	for _, w := range watchers {
		wg.Go(func() { w.unsubscribe(ctx) })
	}
}

// stopPresence forgets the trunk's numbers on the board.
func (t *Trunk) stopPresence() {
	if t.board == nil {
		return
	}
	for _, n := range t.cfg.Trunk.Presence {
		t.board.Forget(n)
	}
}

// watcherFor is the watcher of a subscription dialog.
func (t *Trunk) watcherFor(callID string) *watcher {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.watchers[callID]
}

// run subscribes, refreshes at 80 % of the granted expiry and retries
// with backoff until the trunk closes.
func (w *watcher) run() {
	failures := 0
	for {
		granted, err := w.subscribe()
		wait := time.Duration(float64(granted) * refreshAtRatio)
		if err != nil {
			failures++
			wait = backoff(failures, backoffMin, backoffMax)
			w.t.board.Set(w.number, sfu.PresenceOffline)
			w.t.log.Warn("presence subscription failed", "number", w.number, "err", err, "retry_in", wait)
		} else {
			failures = 0
		}
		select {
		case <-w.ctx.Done():
			return
		case <-time.After(wait):
		case <-w.ended:
			w.toTag = "" // a new subscription
		}
	}
}

// subscribe sends one SUBSCRIBE (answering a digest challenge) and
// returns the granted expiry.
func (w *watcher) subscribe() (time.Duration, error) {
	ctx, cancel := withTimeout(w.ctx)
	defer cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return 0, fmt.Errorf("%w: trunk closing", ErrDialog)
	}
	res, err := w.send(ctx, presenceExpiry)
	if err != nil {
		return 0, err
	}
	w.toTag, _ = res.To().Params.Get("tag")
	return grantedExpiry(res, presenceExpiry), nil
}

// unsubscribe ends a granted subscription with Expires: 0 and stops the
// refreshes; a subscription that was never granted needs nothing.
func (w *watcher) unsubscribe(ctx context.Context) {
	w.cancel()
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closing = true
	if w.toTag == "" {
		return
	}
	if _, err := w.send(ctx, 0); err != nil {
		w.t.log.Debug("presence unsubscribe failed", "number", w.number, "err", err)
	}
}

// send sends the dialog's next SUBSCRIBE asking for expires, answering
// one digest challenge; only a 2xx is a success. w.mu is held.
func (w *watcher) send(ctx context.Context, expires time.Duration) (*sip.Response, error) {
	req := w.request(expires)
	res, err := w.t.cli.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && w.t.cfg.Trunk.Register != nil {
		reg := w.t.cfg.Trunk.Register
		res, err = w.t.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: reg.User, Password: reg.Password})
		w.cseq = req.CSeq().SeqNo // the authorized re-send took the next number
	}
	if err != nil {
		return nil, err
	}
	if !res.IsSuccess() {
		return nil, fmt.Errorf("%w: SUBSCRIBE %s answered %d %s", ErrDialog, w.number, res.StatusCode, res.Reason)
	}
	return res, nil
}

// request builds the SUBSCRIBE of the dialog (new, refresh, or with
// expires 0 its end).
func (w *watcher) request(expires time.Duration) *sip.Request {
	to := w.t.peerURI(w.number)
	req := sip.NewRequest(sip.SUBSCRIBE, to)
	from := &sip.FromHeader{Address: sip.Uri{User: w.t.user(), Host: w.t.peer.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", w.fromTag)
	toH := &sip.ToHeader{Address: sip.Uri{User: w.number, Host: w.t.peer.Host}, Params: sip.NewParams()}
	if w.toTag != "" {
		toH.Params.Add("tag", w.toTag)
	}
	w.cseq++
	callID := sip.CallIDHeader(w.callID)
	req.AppendHeader(from)
	req.AppendHeader(toH)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: w.cseq, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(&w.t.dua.ContactHDR)
	req.AppendHeader(sip.NewHeader("Event", "dialog"))
	req.AppendHeader(sip.NewHeader("Accept", "application/dialog-info+xml"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	return req
}

// notify takes a NOTIFY of the subscription: its dialog-info sets the
// number's state; Subscription-State terminated ends the subscription
// (offline until it is renewed).
func (w *watcher) notify(req *sip.Request, tx sip.ServerTransaction) {
	w.t.respond(req, tx, 200, "OK")
	if st := req.GetHeader("Subscription-State"); st != nil && strings.HasPrefix(strings.TrimSpace(st.Value()), "terminated") {
		w.t.board.Set(w.number, sfu.PresenceOffline)
		select {
		case w.ended <- struct{}{}:
		default:
		}
		return
	}
	if len(req.Body()) == 0 {
		return
	}
	state, err := dialogInfoState(req.Body())
	if err != nil {
		w.t.log.Debug("unusable dialog-info", "number", w.number, "err", err)
		return
	}
	w.t.board.Set(w.number, state)
}

// dialogInfo is the part of an RFC 4235 dialog-info document we read.
type dialogInfo struct {
	XMLName xml.Name `xml:"dialog-info"`
	Dialogs []struct {
		Direction string `xml:"direction,attr"`
		State     string `xml:"state"`
	} `xml:"dialog"`
}

// dialogInfoState maps a dialog-info document to a presence state: any
// confirmed dialog is a call, else any early (trying, proceeding, early)
// one is ringing, else the phone is available.
func dialogInfoState(body []byte) (sfu.PresenceState, error) {
	var di dialogInfo
	if err := xml.Unmarshal(body, &di); err != nil {
		return "", fmt.Errorf("%w: dialog-info: %v", ErrDialog, err)
	}
	state := sfu.PresenceAvailable
	for _, d := range di.Dialogs {
		switch strings.ToLower(strings.TrimSpace(d.State)) {
		case "confirmed":
			return sfu.PresenceOnCall, nil
		case "early", "proceeding", "trying":
			state = sfu.PresenceRinging
		}
	}
	return state, nil
}
