package siptrunk

import (
	"errors"
	"testing"

	"xphone/sfu"
)

func TestStatusMapping(t *testing.T) {
	for code, want := range map[int]error{486: sfu.ErrBusy, 603: sfu.ErrDeclined, 403: sfu.ErrDeclined, 404: sfu.ErrNotFound,
		484: sfu.ErrNotFound, 480: sfu.ErrUnavailable, 410: sfu.ErrUnavailable, 408: sfu.ErrNoAnswer, 503: sfu.ErrCongestion, 500: ErrTrunkUnavailable} {
		if err := StatusError(code, "x"); !errors.Is(err, want) {
			t.Errorf("%d: %v, want %v", code, err, want)
		}
	}
	for _, r := range []struct {
		reason string
		code   int
	}{{"busy", 486}, {"declined", 603}, {"unavailable", 480}, {"no_answer", 480}, {"not_found", 404}, {"dnd", 480}} {
		if c, _ := failureStatus(sfu.Reason(r.reason)); c != r.code {
			t.Errorf("%s → %d, want %d", r.reason, c, r.code)
		}
	}
}
