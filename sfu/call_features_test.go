package sfu

import (
	"context"
	"sync"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// connectedCall is 1001 calling 1002 through calls, answered by the fake
// dialer, both sending marked media.
type connectedCall struct {
	id             string
	caller, callee *sfutest.Client
	callerLeg      *WebRTCLeg
	calleeLeg      *WebRTCLeg
	callerObs      *observer
	calleeObs      *observer
	dialer         *fakeDialer
	calls          *Calls
}

func newConnectedCall(t *testing.T, video bool) *connectedCall {
	t.Helper()
	api := testMediaAPI(t)
	d := &fakeDialer{t: t, api: api}
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 5 * time.Second}, testLogger(), d)
	t.Cleanup(calls.Close)
	caller, leg := newClientLeg(t, api, "1001", video)
	talking(caller, 'A')
	obs := &observer{}
	id, err := calls.Place(PlaceRequest{Caller: leg, To: "1002", Video: video, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "connected", func() bool { _, c := obs.state(); return c == 1 })
	callee, calleeLeg, calleeObs := d.answered("1002")
	eventually(t, 5*time.Second, "media both ways", func() bool {
		return caller.Received('2') > 3 && callee.Received('A') > 3
	})
	return &connectedCall{id: id, caller: caller, callee: callee, callerLeg: leg, calleeLeg: calleeLeg,
		callerObs: obs, calleeObs: calleeObs, dialer: d, calls: calls}
}

// keys collects DTMF passed to a leg's party.
type keys struct {
	mu  sync.Mutex
	got []rune
}

func (k *keys) add(d rune) { k.mu.Lock(); k.got = append(k.got, d); k.mu.Unlock() }
func (k *keys) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return string(k.got)
}

func TestDTMFIsDecodedAndRelayedInOrderWithoutDuplicates(t *testing.T) {
	cc := newConnectedCall(t, false)
	got := &keys{}
	cc.calleeLeg.SetDTMFSink(got.add)
	for _, k := range "123#" {
		if err := cc.caller.SendDTMF(k); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 3*time.Second, "four keys relayed", func() bool { return len(got.String()) >= 4 })
	time.Sleep(100 * time.Millisecond)
	if got.String() != "123#" {
		t.Fatalf("callee got %q, want \"123#\"", got.String())
	}
}

func TestHoldPlaysMusicStopsMediaAndResumes(t *testing.T) {
	cc := newConnectedCall(t, true)
	if err := cc.calls.Hold(cc.id, cc.calleeLeg, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "both told about the hold", func() bool {
		l1, r1 := cc.callerObs.hold()
		l2, r2 := cc.calleeObs.hold()
		return !l1 && r1 && l2 && !r2
	})
	time.Sleep(200 * time.Millisecond) // in-flight packets land
	heardB, audioA, audioB := cc.caller.Received('2'), cc.caller.AudioReceived.Load(), cc.callee.AudioReceived.Load()
	videoA, videoB := cc.caller.VideoReceived.Load(), cc.callee.VideoReceived.Load()
	time.Sleep(700 * time.Millisecond)
	if cc.caller.Received('2') != heardB || cc.callee.AudioReceived.Load() != audioB {
		t.Fatal("audio still flows between the parties while held")
	}
	if cc.caller.VideoReceived.Load() != videoA || cc.callee.VideoReceived.Load() != videoB {
		t.Fatal("video still flows while held")
	}
	eventually(t, 5*time.Second, "music reaches the held party", func() bool {
		return cc.caller.AudioReceived.Load() > audioA+25
	})
	plis := cc.caller.KeyframeRequests.Load()
	if err := cc.calls.Hold(cc.id, cc.calleeLeg, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "media back both ways with a keyframe request", func() bool {
		return cc.caller.Received('2') > heardB+10 && cc.callee.VideoReceived.Load() > videoB+10 &&
			cc.caller.VideoReceived.Load() > videoA+10 && cc.caller.KeyframeRequests.Load() > plis
	})
}

func TestBothPartiesCanHoldAndHangupWhileHeld(t *testing.T) {
	cc := newConnectedCall(t, false)
	_ = cc.calls.Hold(cc.id, cc.calleeLeg, true)
	_ = cc.calls.Hold(cc.id, cc.callerLeg, true)
	eventually(t, 2*time.Second, "both hold", func() bool { l, r := cc.callerObs.hold(); return l && r })
	_ = cc.calls.Hold(cc.id, cc.calleeLeg, false)
	eventually(t, 2*time.Second, "caller still holds", func() bool { l, r := cc.callerObs.hold(); return l && !r })
	_ = cc.callerLeg.Hangup(context.Background(), ReasonHangup)
	select {
	case <-cc.calleeLeg.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("hang-up while held did not end the call")
	}
}

func TestBlindTransferConnectsTheOtherPartyToTheTarget(t *testing.T) {
	cc := newConnectedCall(t, false)
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "1007"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cc.calleeLeg.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("transferor still in the call")
	}
	if cc.calleeLeg.EndReason() != ReasonTransferred {
		t.Fatalf("transferor's reason %q", cc.calleeLeg.EndReason())
	}
	eventually(t, 5*time.Second, "caller connected to 1007", func() bool { return cc.callerObs.lastPeer() == "1007" })
	if cc.callerObs.transferring != "1007" {
		t.Fatalf("caller not told about the transfer: %q", cc.callerObs.transferring)
	}
	target, _, _ := cc.dialer.answered("1007")
	before := cc.caller.Received('7')
	eventually(t, 5*time.Second, "media between caller and target", func() bool {
		return cc.caller.Received('7') > before+5 && target.Received('A') > 5
	})
}

func TestTransferFailuresLeaveOrEndCleanly(t *testing.T) {
	cc := newConnectedCall(t, false)
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "9999"); err != ErrNotFound {
		t.Fatalf("transfer to an unknown number: %v", err)
	}
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "1003"); err != nil { // 1003 declines
		t.Fatal(err)
	}
	select {
	case <-cc.callerLeg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("transferred party's call not ended after the target declined")
	}
	if cc.callerLeg.EndReason() != ReasonDeclined {
		t.Fatalf("transferred party sees %q, want declined", cc.callerLeg.EndReason())
	}
}

// TestTransferHandedOverEndsAsTransferred: when the far end carries out a
// blind transfer itself (a PBX told by REFER), the transferred party's leg
// ends with "transferred", not with an error.
func TestTransferHandedOverEndsAsTransferred(t *testing.T) {
	cc := newConnectedCall(t, false)
	if err := cc.calls.Transfer(cc.id, cc.calleeLeg, "1008"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cc.callerLeg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("transferred party's leg not ended after the hand-over")
	}
	if r := cc.callerLeg.EndReason(); r != ReasonTransferred {
		t.Fatalf("transferred party's leg ended with %q, want transferred", r)
	}
}

func TestAttendedTransferJoinsHeldPartyAndTarget(t *testing.T) {
	cc := newConnectedCall(t, false)
	// 1002 holds 1001 and consults 1007 from a second leg.
	if err := cc.calls.Hold(cc.id, cc.calleeLeg, true); err != nil {
		t.Fatal(err)
	}
	api := cc.dialer.api
	consultClient, consultLeg := newClientLeg(t, api, "1002", false)
	talking(consultClient, 'C')
	consultObs := &observer{}
	consultID, err := cc.calls.Place(PlaceRequest{Caller: consultLeg, To: "1007", Observer: consultObs})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "consultation connected", func() bool { _, c := consultObs.state(); return c == 1 })
	target, _, targetObs := cc.dialer.answered("1007")
	if err := cc.calls.CompleteTransfer(cc.id, cc.calleeLeg, consultID, consultLeg); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*WebRTCLeg{cc.calleeLeg, consultLeg} {
		select {
		case <-l.Done():
		case <-time.After(3 * time.Second):
			t.Fatal("transferor's leg still up")
		}
	}
	eventually(t, 5*time.Second, "held party and target talk", func() bool {
		return cc.caller.Received('7') > 5 && target.Received('A') > 5
	})
	if targetObs.lastPeer() != "1001" || cc.callerObs.lastPeer() != "1007" {
		t.Fatalf("peers after transfer: caller sees %q, target sees %q", cc.callerObs.lastPeer(), targetObs.lastPeer())
	}
	if l, r := cc.callerObs.hold(); l || r {
		t.Fatal("the joined call is still on hold")
	}
}
