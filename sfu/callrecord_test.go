package sfu

import (
	"context"
	"sync"
	"testing"
	"time"
)

// records collects what call control records.
type records struct {
	mu   sync.Mutex
	list []CallRecord
}

func (r *records) RecordCall(rec CallRecord) {
	r.mu.Lock()
	r.list = append(r.list, rec)
	r.mu.Unlock()
}

func (r *records) all() []CallRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]CallRecord(nil), r.list...)
}

func (r *records) waitFor(t *testing.T, n int) []CallRecord {
	t.Helper()
	eventually(t, 5*time.Second, "call records", func() bool { return len(r.all()) >= n })
	return r.all()
}

// TestDoNotDisturbRefusesBeforeRinging: a DND number is never dialled;
// the caller gets dnd, and the record says so.
func TestDoNotDisturbRefusesBeforeRinging(t *testing.T) {
	api := testMediaAPI(t)
	rec := &records{}
	dialer := &fakeDialer{t: t, api: api}
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 5 * time.Second, Recorder: rec,
		DoNotDisturb: func(n string) bool { return n == "1002" }}, testLogger(), dialer)
	defer calls.Close()
	_, leg := newClientLeg(t, api, "1001", false)
	obs := &observer{}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1002", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a call to a DND number was not refused")
	}
	if r := leg.EndReason(); r != ReasonDND {
		t.Fatalf("caller's reason %q, want dnd", r)
	}
	if r, _ := obs.state(); r != 0 {
		t.Fatal("a DND number rang")
	}
	got := rec.waitFor(t, 1)
	if len(got) != 1 || got[0].To != "1002" || got[0].Reason != ReasonDND || !got[0].Answered.IsZero() ||
		got[0].Caller.Number != "1001" || got[0].Origin != leg.Origin() {
		t.Fatalf("records %+v, want one unanswered dnd dial 1001 → 1002", got)
	}
}

// TestRecordsOfAnsweredAndFailedDials: an answered call is recorded once
// it ends, with both parties and its answer time; a declined one at once.
func TestRecordsOfAnsweredAndFailedDials(t *testing.T) {
	api := testMediaAPI(t)
	rec := &records{}
	now := time.Unix(1_900_000_000, 0)
	var clock sync.Mutex
	tick := func() time.Time { clock.Lock(); defer clock.Unlock(); now = now.Add(time.Second); return now }
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 5 * time.Second, Recorder: rec, Now: tick}, testLogger(), &fakeDialer{t: t, api: api})
	defer calls.Close()
	_, leg := newClientLeg(t, api, "1001", true)
	obs := &observer{}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1002", Video: true, Observer: obs}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "connected", func() bool { _, c := obs.state(); return c == 1 })
	if len(rec.all()) != 0 {
		t.Fatal("a call was recorded before it ended")
	}
	_ = leg.Hangup(context.Background(), ReasonHangup)
	got := rec.waitFor(t, 1)[0]
	if got.Callee.Number != "1002" || got.Callee.Name != "N1002" || !got.Video || got.Reason != "" ||
		got.Answered.IsZero() || !got.Started.Before(got.Answered) || !got.Answered.Before(got.Ended) {
		t.Fatalf("answered call recorded as %+v", got)
	}
	_, leg2 := newClientLeg(t, api, "1001", false)
	if _, err := calls.Place(PlaceRequest{Caller: leg2, To: "1003", Observer: &observer{}}); err != nil {
		t.Fatal(err)
	}
	got = rec.waitFor(t, 2)[1]
	if got.To != "1003" || got.Reason != ReasonDeclined || !got.Answered.IsZero() {
		t.Fatalf("declined call recorded as %+v", got)
	}
}

// TestBlindTransferRecordsBothDials: the call the transferor leaves is
// recorded when it leaves; the transferred party's dial to the target
// carries the transferor.
func TestBlindTransferRecordsBothDials(t *testing.T) {
	cc := newConnectedCall(t, false)
	rec := &records{}
	cc.calls.cfg.Recorder = rec // no call has ended yet
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "1007"); err != nil {
		t.Fatal(err)
	}
	first := rec.waitFor(t, 1)[0]
	if first.Caller.Number != "1001" || first.Callee.Number != "1002" || first.Answered.IsZero() {
		t.Fatalf("the transferor's call recorded as %+v", first)
	}
	eventually(t, 5*time.Second, "caller connected to 1007", func() bool { return cc.callerObs.lastPeer() == "1007" })
	_ = cc.callerLeg.Hangup(context.Background(), ReasonHangup)
	second := rec.waitFor(t, 2)[1]
	if second.Caller.Number != "1001" || second.To != "1007" || second.Transferor.Number != "1002" || second.Answered.IsZero() {
		t.Fatalf("the transferred dial recorded as %+v", second)
	}
}

// TestCameraStateReachesTheOtherParty: a party's camera going off and on
// is told to the other party, and to whoever a transfer connects it to.
func TestCameraStateReachesTheOtherParty(t *testing.T) {
	cc := newConnectedCall(t, true)
	if err := cc.calls.SetCamera(cc.id, cc.callerLeg, false); err != nil {
		t.Fatal(err)
	}
	if err := cc.calls.SetCamera(cc.id, cc.callerLeg, true); err != nil {
		t.Fatal(err)
	}
	if err := cc.calls.SetCamera(cc.id, cc.callerLeg, false); err != nil {
		t.Fatal(err)
	}
	if got := cc.calleeObs.cameras(); len(got) != 3 || got[0] || !got[1] || got[2] {
		t.Fatalf("the callee heard %v, want off, on, off", got)
	}
	if got := cc.callerObs.cameras(); len(got) != 0 {
		t.Fatalf("the caller heard of its own camera: %v", got)
	}
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "1007"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "1007 told that 1001's camera is off", func() bool {
		_, _, o := cc.dialer.answered("1007")
		return o != nil && len(o.cameras()) == 1 && !o.cameras()[0]
	})
	if err := cc.calls.SetCamera("nope", cc.callerLeg, true); err != ErrNotInCall {
		t.Fatalf("unknown call: %v", err)
	}
}
