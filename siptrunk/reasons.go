package siptrunk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// Failure reasons across the trunk. A SIP status alone is ambiguous (a
// 480 may be "no answer" or "not logged in", a 503 "congestion" or "trunk
// down"); PBXs say more in a Reason header with a Q.850 cause (RFC 3326),
// which Asterisk puts on every failure response. The cause wins when it
// names a reason; our own failure responses carry one too, so a PBX's
// dial plan sees the cause it expects (Asterisk's HANGUPCAUSE/DIALSTATUS).

// q850Reasons map Q.850 cause values to call-control errors.
var q850Reasons = map[int]error{
	1: sfu.ErrNotFound, 2: sfu.ErrNotFound, 3: sfu.ErrNotFound, 28: sfu.ErrNotFound,
	17: sfu.ErrBusy,
	18: sfu.ErrNoAnswer, 19: sfu.ErrNoAnswer,
	20: sfu.ErrUnavailable,
	21: sfu.ErrDeclined,
	34: sfu.ErrCongestion, 38: sfu.ErrCongestion, 41: sfu.ErrCongestion, 42: sfu.ErrCongestion,
	44: sfu.ErrCongestion, 47: sfu.ErrCongestion,
}

// q850Cause reads the Q.850 cause of a Reason header ("Q.850;cause=17;text=…").
func q850Cause(m headerGetter) (int, bool) {
	for _, h := range m.GetHeaders("Reason") {
		for _, v := range strings.Split(h.Value(), ",") {
			proto, params, _ := strings.Cut(strings.TrimSpace(v), ";")
			if !strings.EqualFold(strings.TrimSpace(proto), "Q.850") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "cause") {
					n, err := strconv.Atoi(strings.TrimSpace(val))
					return n, err == nil
				}
			}
		}
	}
	return 0, false
}

// responseError maps a failure response to the sfu sentinel for it: the
// Q.850 cause when it names one, else the status.
func responseError(res *sip.Response) error {
	if cause, ok := q850Cause(res); ok {
		if base, ok := q850Reasons[cause]; ok {
			return fmt.Errorf("%w (SIP %d %s, Q.850 cause %d)", base, res.StatusCode, res.Reason, cause)
		}
	}
	return StatusError(res.StatusCode, res.Reason)
}

// failureCause is the Q.850 cause that goes with a failure we answer.
func failureCause(r sfu.Reason) int {
	switch r {
	case sfu.ReasonBusy:
		return 17
	case sfu.ReasonNoAnswer:
		return 19
	case sfu.ReasonUnavailable:
		return 20
	case sfu.ReasonDeclined, sfu.ReasonForbidden:
		return 21
	case sfu.ReasonNotFound:
		return 1
	case sfu.ReasonCancelled:
		return 16
	}
	return 41
}

// reasonHeader is the RFC 3326 Reason header for a failure we answer.
func reasonHeader(r sfu.Reason) sip.Header {
	return sip.NewHeader("Reason", "Q.850;cause="+strconv.Itoa(failureCause(r)))
}
