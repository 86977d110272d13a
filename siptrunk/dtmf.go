package siptrunk

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// reasonHangup is the reason of a leg the peer ended with BYE.
const reasonHangup = sfu.ReasonHangup

// infoDigit reads the key of an application/dtmf-relay INFO body
// ("Signal=5\r\nDuration=160"), or 0.
func infoDigit(body string) rune {
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
			v = strings.TrimSpace(v)
			if len(v) == 1 {
				if _, ok := sfu.DTMFEvent(rune(v[0])); ok {
					return rune(v[0])
				}
			}
		}
	}
	return 0
}

// dtmfSender sends our keys: as SIP INFO (application/dtmf-relay) when the
// trunk is configured so, else as RFC 4733 events in the media.
func (t *Trunk) dtmfSender(l *Leg) func(rune) {
	return func(d rune) {
		if _, ok := sfu.DTMFEvent(d); !ok {
			return
		}
		if t.cfg.Trunk.DTMF != "info" {
			l.sendRFC4733(d)
			return
		}
		body := []byte("Signal=" + string(d) + "\r\nDuration=160\r\n")
		// Not on the caller's goroutine: the request waits for its answer.
		t.goOwned(func() {
			ctx, cancel := withTimeout(t.ctx)
			defer cancel()
			if _, err := l.request(ctx, sip.INFO, "application/dtmf-relay", body); err != nil {
				t.log.Debug("INFO DTMF failed", "err", err)
			}
		})
	}
}
