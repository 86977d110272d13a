package siptrunk

import (
	"errors"
	"testing"

	"xphone/configs"
)

func TestAllowed(t *testing.T) {
	p := NewDialPlan([]configs.DialRule{
		{Pattern: "00.", Trunk: "pbx", Permission: "international"},
		{Pattern: "0XXX", Trunk: "pbx", Permission: "local", Strip: 1},
		{Pattern: "0.", Trunk: "pbx", Permission: "national", Prepend: "+49", Strip: 1},
	})
	for _, tc := range []struct {
		perm, number, want string
		err                error
	}{
		{"international", "00 44 20 7946", "0044207946", nil},
		{"national", "0044207946", "", ErrForbidden},
		{"local", "0123", "123", nil},
		{"internal", "0123", "", ErrForbidden},
		{"national", "030 (1234) 56-78", "+4930123456" + "78", nil},
		{"local", "0301234", "", ErrForbidden},
		{InboundPermission, "0123", "", ErrForbidden},
		{"bogus", "0123", "", ErrForbidden},
		{"international", "sip:0123@evil", "", ErrForbidden},
		{"international", "0*1", "", ErrForbidden},
		{"international", "1001", "", ErrTrunkUnavailable},
	} {
		r, err := p.Allowed(tc.perm, tc.number)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Allowed(%s, %s) err = %v, want %v", tc.perm, tc.number, err, tc.err)
			}
			continue
		}
		if err != nil || r.Number != tc.want {
			t.Errorf("Allowed(%s, %s) = %q, %v; want %q", tc.perm, tc.number, r.Number, err, tc.want)
		}
	}
}
