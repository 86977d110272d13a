package configs

import (
	"slices"
	"strings"
	"time"
)

// minSessionExpires is RFC 4028's floor for a session interval.
const minSessionExpires = 90 * time.Second

// minMediaTimeout is twice the RTCP interval (RFC 3550 §6.2's 5 s): a
// peer sending no audio (silence suppression) still reports that often.
const minMediaTimeout = 10 * time.Second

// validateDialog checks the trunk's in-dialog keys: session timers, the
// media timeout and the permission class REFERs from the trunk act with.
func (t Trunk) validateDialog(ps *problems, at string) {
	if t.SessionExpires != 0 && t.SessionExpires.D() < minSessionExpires {
		ps.add(at+".session_expires", "must be at least 90s (RFC 4028)")
	}
	if d := t.MediaTimeout; d != nil && *d != 0 && d.D() < minMediaTimeout {
		ps.add(at+".media_timeout", "must be 0 (off) or at least 10s: a silent peer may send only RTCP, every 5s")
	}
	if t.ReferPermission != "" && !slices.Contains(permissionClasses, t.ReferPermission) {
		ps.add(at+".refer_permission", "%q is not one of %s", t.ReferPermission, strings.Join(permissionClasses, ", "))
	}
	if t.DialFromRegisteredContact && t.Register == nil {
		ps.add(at+".dial_from_registered_contact", "needs register: only a registered contact can be dialled from")
	}
}
