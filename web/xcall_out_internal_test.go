package web

import (
	"errors"
	"testing"

	"xphone/sfu"
)

// TestForkDecision: a call ringing on several nodes is decided once for
// all of them — a decline anywhere declines it; any other refusal only
// ends that node's branch, and the caller hears the most telling refusal
// once every branch has ended.
func TestForkDecision(t *testing.T) {
	for _, c := range []struct {
		name  string
		fails []error // in order: n1, n2, then this node's tabs
		want  error   // nil: still ringing
	}{
		{"one node's last tab closes", []error{sfu.ErrUnavailable}, nil},
		{"a decline on one node", []error{sfu.ErrDeclined}, sfu.ErrDeclined},
		{"busy on one node, no tab on the others", []error{sfu.ErrUnavailable, sfu.ErrBusy, sfu.ErrUnavailable}, sfu.ErrBusy},
		{"do-not-disturb beats busy", []error{sfu.ErrBusy, sfu.ErrDoNotDisturb, sfu.ErrUnavailable}, sfu.ErrDoNotDisturb},
		{"no tab anywhere", []error{sfu.ErrUnavailable, sfu.ErrUnavailable, sfu.ErrUnavailable}, sfu.ErrUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := newXout(sfu.DialRequest{CallID: "c"}, []string{"n1", "n2"})
			o.live[localBranch] = true
			for i, err := range c.fails {
				o.fail([]string{"n1", "n2", localBranch}[i], err)
			}
			select {
			case res := <-o.result:
				if !errors.Is(res.err, c.want) {
					t.Fatalf("decided %v, want %v", res.err, c.want)
				}
			default:
				if c.want != nil {
					t.Fatalf("still ringing, want %v", c.want)
				}
			}
		})
	}

	t.Run("a decline while another node's tab answers", func(t *testing.T) {
		o := newXout(sfu.DialRequest{CallID: "c"}, []string{"n1", "n2"})
		if !o.claim() {
			t.Fatal("the first answer could not claim the call")
		}
		o.fail("n2", sfu.ErrDeclined)
		if !o.deliver(ringResult{leg: nil}, "n1") || o.losers()[0] != "n2" || len(o.losers()) != 1 {
			t.Fatalf("the answer lost to a later decline, or the winner is told to stop: %v", o.losers())
		}
	})
}
