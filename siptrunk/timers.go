package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// Session timers (RFC 4028): a dialog is refreshed by a re-INVITE at half
// its interval by the refresher; the other side ends it with BYE when no
// refresh came in time. This guards against dialogs left up when a BYE is
// lost (a PBX would bill a call forever).

// minSE is the smallest interval we accept (RFC 4028 §4: never below 90 s).
// A variable so tests can shorten it.
var minSE = 90 * time.Second

// defaultSessionExpires is our interval when the config gives none.
const defaultSessionExpires = 30 * time.Minute

// sessionTimer is the timer negotiated for one dialog.
type sessionTimer struct {
	interval  time.Duration
	refresher string // "uac" or "uas", as in the Session-Expires header
	weRefresh bool
	refreshed chan struct{} // a refresh from the peer arrived
}

func newSessionTimer(interval time.Duration, refresher string, weRefresh bool) *sessionTimer {
	return &sessionTimer{interval: interval, refresher: refresher, weRefresh: weRefresh, refreshed: make(chan struct{}, 1)}
}

// headers are the Session-Expires and Supported headers of our requests
// and responses in the dialog.
func (s *sessionTimer) headers() []sip.Header {
	return []sip.Header{
		sip.NewHeader("Session-Expires", strconv.Itoa(int(s.interval/time.Second))+";refresher="+s.refresher),
		sip.NewHeader("Supported", "timer"),
	}
}

// peerRefreshed notes a refresh from the peer (re-INVITE or UPDATE).
func (s *sessionTimer) peerRefreshed() {
	select {
	case s.refreshed <- struct{}{}:
	default:
	}
}

// headerGetter is what requests and responses share for reading headers.
type headerGetter interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// sessionExpires parses a request's or response's Session-Expires
// ("1800;refresher=uac", compact form "x"): interval, refresher, found.
func sessionExpires(m headerGetter) (time.Duration, string, bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	v, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 {
		return 0, "", false
	}
	refresher := ""
	for _, p := range strings.Split(params, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(secs) * time.Second, refresher, true
}

// supportsTimer reports whether m's Supported header lists "timer".
func supportsTimer(m headerGetter) bool {
	for _, h := range m.GetHeaders("Supported") {
		for _, o := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(o), "timer") {
				return true
			}
		}
	}
	return false
}

// ourInterval is the configured session interval, 0 when timers are off.
func (t *Trunk) ourInterval() time.Duration {
	if d := t.cfg.Trunk.SessionExpires.D(); d > 0 {
		return d
	}
	return defaultSessionExpires
}

// uasTimer decides the timer of an inbound INVITE (RFC 4028 §9). It
// returns ok=false with the 422 to answer when the offered interval is
// below our minimum, and a nil timer when timers are off.
func (t *Trunk) uasTimer(req *sip.Request) (*sessionTimer, bool) {
	ours := t.ourInterval()
	se, refresher, has := sessionExpires(req)
	if has && se < minSE {
		return nil, false
	}
	if ours == 0 {
		return nil, true
	}
	interval := max(ours, minSE)
	if has {
		interval = min(interval, se)
	}
	if !supportsTimer(req) {
		refresher = "uas" // a UAC without timer support cannot refresh
	} else if refresher == "" {
		refresher = "uac"
	}
	return newSessionTimer(interval, refresher, refresher == "uas"), true
}

// uacTimer reads the timer the peer's 2xx agreed to: none when it has no
// Session-Expires (RFC 4028 §7.2); we refresh unless it names uas.
func uacTimer(res *sip.Response) *sessionTimer {
	se, refresher, ok := sessionExpires(res)
	if !ok {
		return nil
	}
	if refresher == "" {
		refresher = "uac"
	}
	return newSessionTimer(se, refresher, refresher == "uac")
}

// inviteTimerHeaders are the RFC 4028 headers of our initial INVITE
// asking for interval se.
func inviteTimerHeaders(se time.Duration) []sip.Header {
	return []sip.Header{sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", strconv.Itoa(int(max(se, minSE)/time.Second))),
		sip.NewHeader("Min-SE", strconv.Itoa(int(minSE/time.Second)))}
}

// intervalTooSmallError: the peer answered our INVITE 422 and wants at
// least minSE.
type intervalTooSmallError struct{ minSE time.Duration }

func (e *intervalTooSmallError) Error() string {
	return fmt.Sprintf("siptrunk: session interval too small, peer wants %s", e.minSE)
}

// minSEOf422 reads the Min-SE of a 422 answer to our INVITE.
func minSEOf422(err error) (time.Duration, bool) {
	var de *sipgo.ErrDialogResponse
	if !errors.As(err, &de) || de.Res == nil || de.Res.StatusCode != 422 {
		return 0, false
	}
	h := de.Res.GetHeader("Min-SE")
	if h == nil {
		return 0, false
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 || secs > 24*3600 {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

// inviteWithTimer sends the INVITE with our interval and, when the peer
// answers 422 (RFC 4028 §7.3), once more with the interval it asked for.
func (t *Trunk) inviteWithTimer(ctx context.Context, d *dialing, number, offer string) (*sipgo.DialogClientSession, error) {
	sess, err := t.invite(ctx, d, number, offer, t.ourInterval())
	var small *intervalTooSmallError
	if errors.As(err, &small) {
		t.log.Info("peer wants a longer session interval: retrying", "min_se", small.minSE)
		sess, err = t.invite(ctx, d, number, offer, max(small.minSE, t.ourInterval()))
	}
	if errors.As(err, &small) {
		return nil, StatusError(422, "Session Interval Too Small")
	}
	return sess, err
}

// respond422 refuses an interval below our minimum, naming it in Min-SE.
func (t *Trunk) respond422(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
	res.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(int(minSE/time.Second))))
	if err := tx.Respond(res); err != nil {
		t.log.Debug("422 not sent", "err", err)
	}
}

// runTimer waits for the dialog, then runs its session timer, if any (an
// early-media leg learns it only from the 200, before answered closes).
func (l *Leg) runTimer() {
	select {
	case <-l.ctx.Done():
	case <-l.answered:
		if l.timer != nil {
			l.timerLoop(l.timer)
		}
	}
}

// timerLoop runs the leg's session timer until the leg ends: refresh at
// half the interval when we refresh, else BYE when the peer's refresh is
// overdue (interval minus a third, at most 32 s early, RFC 4028 §10).
func (l *Leg) timerLoop(s *sessionTimer) {
	wait := s.interval / 2
	if !s.weRefresh {
		wait = s.interval - min(32*time.Second, s.interval/3)
	}
	tm := time.NewTimer(wait)
	defer tm.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-s.refreshed:
			tm.Reset(wait)
		case <-tm.C:
			if !s.weRefresh || !l.refresh(s) {
				l.log.Warn("session timer expired: ending the dialog", "interval", s.interval)
				l.begin(sfu.ReasonError, true)
				return
			}
			tm.Reset(wait)
		}
	}
}

// refresh sends the refreshing re-INVITE with our current direction.
func (l *Leg) refresh(s *sessionTimer) bool {
	ctx, cancel := context.WithTimeout(l.ctx, requestTimeout)
	defer cancel()
	dir, _ := l.ourDir.Load().(string)
	if dir == "" {
		dir = "sendrecv"
	}
	if err := l.reInvite(ctx, dir, s.headers()...); err != nil {
		l.log.Warn("session refresh failed", "err", err)
		return false
	}
	l.refreshes.Add(1)
	return true
}
