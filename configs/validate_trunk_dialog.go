package configs

import (
	"slices"
	"strings"
	"time"
)

// minSessionExpires is RFC 4028's floor for a session interval.
const minSessionExpires = 90 * time.Second

// validateDialog checks the trunk's in-dialog keys: session timers and
// the permission class REFERs from the trunk act with.
func (t Trunk) validateDialog(ps *problems, at string) {
	if t.SessionExpires != 0 && t.SessionExpires.D() < minSessionExpires {
		ps.add(at+".session_expires", "must be at least 90s (RFC 4028)")
	}
	if t.ReferToTrunk {
		ps.add(at+".refer_to_trunk", "not implemented yet: transfers of trunk calls are re-routed through Xphone")
	}
	if t.ReferPermission != "" && !slices.Contains(permissionClasses, t.ReferPermission) {
		ps.add(at+".refer_permission", "%q is not one of %s", t.ReferPermission, strings.Join(permissionClasses, ", "))
	}
}
