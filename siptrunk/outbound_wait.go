package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// errAbandoned marks a wait the caller gave up: the trunk owns the dialog
// from then on (see waitAnswer).
var errAbandoned = errors.New("siptrunk: INVITE abandoned")

// waitAnswer waits for the final answer to sess's INVITE. When ctx ends
// first it returns at once, wrapping errAbandoned and ctx's cause: the
// CANCEL that RFC 3261 §9.1 still owes the far end (sent after a
// provisional response, or given up at Timer B when none comes) goes on in
// a goroutine the trunk owns, so a caller hanging up, or the server
// shutting down, never waits up to 64·T1 for a peer that does not answer.
// Closing the trunk ends that goroutine (closing the user agent terminates
// its transactions). Otherwise the caller owns sess, as with WaitAnswer.
//
// opts.OnResponse sees responses until the wait is abandoned, never after:
// an abandoned call must not ring or start early media.
func (t *Trunk) waitAnswer(ctx context.Context, sess *sipgo.DialogClientSession, opts sipgo.AnswerOptions) error {
	w := &answerWait{}
	if on := opts.OnResponse; on != nil {
		opts.OnResponse = func(res *sip.Response) error { return w.whileWaiting(func() error { return on(res) }) }
	}
	waitCtx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	t.goOwned(func() {
		err := sess.WaitAnswer(waitCtx, opts)
		if w.settle(waitAnswered) {
			done <- err
			return
		}
		t.endAbandoned(sess)
	})
	select {
	case err := <-done:
		stop(nil)
		return err
	case <-ctx.Done():
		if !w.settle(waitAbandoned) {
			stop(nil)
			return <-done // the answer won the race: the caller owns sess
		}
		stop(context.Cause(ctx))
		return fmt.Errorf("%w: %w", errAbandoned, context.Cause(ctx))
	}
}

// answerWait decides, once, who finishes an INVITE: the caller (answered)
// or the trunk (abandoned).
type answerWait struct {
	mu    sync.Mutex
	state int
}

const (
	waiting = iota
	waitAnswered
	waitAbandoned
)

// settle moves a waiting wait to state; false when it was already settled.
func (w *answerWait) settle(state int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != waiting {
		return false
	}
	w.state = state
	return true
}

// whileWaiting runs f unless the wait was abandoned, holding the lock so
// abandoning waits for an f already running.
func (w *answerWait) whileWaiting(f func() error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == waitAbandoned {
		return nil
	}
	return f()
}

// endAbandoned finishes a dialog the caller gave up on: a 2xx that crossed
// our CANCEL established it at the far end, which RFC 3261 §15 ends with
// ACK and BYE; otherwise there is nothing left to say.
func (t *Trunk) endAbandoned(sess *sipgo.DialogClientSession) {
	defer func() { _ = sess.Close() }()
	res := sess.InviteResponse
	if res == nil || !res.IsSuccess() {
		return
	}
	ctx, cancel := withTimeout(context.Background())
	defer cancel()
	if err := sess.Ack(ctx); err != nil {
		t.log.Debug("ACK of a 200 after CANCEL", "err", err)
	}
	if err := sess.Bye(ctx); err != nil {
		t.log.Debug("BYE after a 200 that crossed our CANCEL", "err", err)
	}
	t.log.Info("the far end answered a call already given up: ended it with BYE", "call_id", sess.InviteRequest.CallID().Value())
}
