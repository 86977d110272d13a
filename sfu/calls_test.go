package sfu

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"xphone/sfu/sfutest"
)

// fakeDialer answers, refuses or keeps ringing depending on the number.
type fakeDialer struct {
	t       *testing.T
	api     *MediaAPI
	mu      sync.Mutex
	callee  *sfutest.Client
	legs    []Leg
	clients map[string]*sfutest.Client
	byNum   map[string]*WebRTCLeg
	obs     map[string]*observer
}

// answered returns the client, leg and observer that answered as number.
func (d *fakeDialer) answered(number string) (*sfutest.Client, *WebRTCLeg, *observer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.clients[number], d.byNum[number], d.obs[number]
}

func (d *fakeDialer) Reaches(n string) bool { return n != "9999" }

func (d *fakeDialer) Dial(ctx context.Context, req DialRequest) (Leg, error) {
	req.Ringing()
	switch req.To {
	case "1002", "1007":
		c, leg := newClientLeg(d.t, d.api, req.To, req.Video)
		talking(c, req.To[3])
		o := &observer{}
		leg.SetObserver(o)
		d.mu.Lock()
		if d.clients == nil {
			d.clients, d.byNum, d.obs = map[string]*sfutest.Client{}, map[string]*WebRTCLeg{}, map[string]*observer{}
		}
		d.callee, d.legs = c, append(d.legs, leg)
		d.clients[req.To], d.byNum[req.To], d.obs[req.To] = c, leg, o
		d.mu.Unlock()
		return leg, nil
	case "1003":
		return nil, ErrDeclined
	case "1008": // a PBX carried the transfer out itself (REFER)
		return nil, fmt.Errorf("trunk: referred: %w", ErrHandedOver)
	}
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

type observer struct {
	mu           sync.Mutex
	ringing      int
	connected    []Identity
	local        bool
	remote       bool
	transferring string
	peerCamera   []bool
}

func (o *observer) PeerCamera(_ string, on bool) {
	o.mu.Lock()
	o.peerCamera = append(o.peerCamera, on)
	o.mu.Unlock()
}

func (o *observer) cameras() []bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]bool(nil), o.peerCamera...)
}

func (o *observer) HoldState(_ string, local, remote bool) {
	o.mu.Lock()
	o.local, o.remote = local, remote
	o.mu.Unlock()
}

func (o *observer) Transferring(_, to string, _ Identity) {
	o.mu.Lock()
	o.transferring = to
	o.mu.Unlock()
}

func (o *observer) hold() (bool, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.local, o.remote
}

func (o *observer) lastPeer() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.connected) == 0 {
		return ""
	}
	return o.connected[len(o.connected)-1].Number
}

func (o *observer) Ringing(string) { o.mu.Lock(); o.ringing++; o.mu.Unlock() }
func (o *observer) Connected(_ string, peer Identity, _ bool, _ time.Time) {
	o.mu.Lock()
	o.connected = append(o.connected, peer)
	o.mu.Unlock()
}
func (o *observer) state() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ringing, len(o.connected)
}

func TestCallFailuresEndCallerLegWithReason(t *testing.T) {
	api := testMediaAPI(t)
	tests := []struct {
		name string
		to   string
		want Reason
	}{
		{"unknown number", "9999", ReasonNotFound},
		{"declined", "1003", ReasonDeclined},
		{"no answer", "1004", ReasonNoAnswer},
		{"self is busy", "1001", ReasonBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := NewCalls(CallsConfig{NoAnswerTimeout: 300 * time.Millisecond}, testLogger(), &fakeDialer{t: t, api: api})
			defer calls.Close()
			_, leg := newClientLeg(t, api, "1001", false)
			if _, err := calls.Place(PlaceRequest{Caller: leg, To: tt.to, Observer: &observer{}}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-leg.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("caller leg not ended")
			}
			if leg.EndReason() != tt.want {
				t.Fatalf("reason %q, want %q", leg.EndReason(), tt.want)
			}
		})
	}
}

func TestCallConnectsForwardsAndHangsUpBothLegs(t *testing.T) {
	api := testMediaAPI(t)
	dialer := &fakeDialer{t: t, api: api}
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 5 * time.Second}, testLogger(), dialer)
	defer calls.Close()
	caller, leg := newClientLeg(t, api, "1001", true)
	talking(caller, 'A')
	obs := &observer{}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1002", Video: true, Observer: obs}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "ringing and connected", func() bool {
		r, c := obs.state()
		return r == 1 && c == 1
	})
	if !calls.Busy("1002") || !calls.Busy("1001") {
		t.Fatal("parties of a connected call are not busy")
	}
	dialer.mu.Lock()
	callee, calleeLeg := dialer.callee, dialer.legs[0]
	dialer.mu.Unlock()
	eventually(t, 5*time.Second, "media both ways", func() bool {
		return caller.Received('2') > 5 && callee.Received('A') > 5 && caller.VideoReceived.Load() > 5
	})
	_ = calleeLeg.Hangup(context.Background(), ReasonHangup)
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("caller leg still up after the callee hung up")
	}
	if leg.EndReason() != ReasonHangup {
		t.Fatalf("caller reason %q", leg.EndReason())
	}
	eventually(t, time.Second, "parties free again", func() bool { return !calls.Busy("1001") && !calls.Busy("1002") })
}

func TestCallerHangupCancelsRinging(t *testing.T) {
	api := testMediaAPI(t)
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 10 * time.Second}, testLogger(), &fakeDialer{t: t, api: api})
	defer calls.Close()
	_, leg := newClientLeg(t, api, "1001", false)
	obs := &observer{}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1005", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "ringing", func() bool { r, _ := obs.state(); return r == 1 })
	_ = leg.Hangup(context.Background(), ReasonCancelled)
	eventually(t, 2*time.Second, "callee released", func() bool { return !calls.Busy("1005") })
}

func TestSecondCallerGetsBusyWithoutCallWaiting(t *testing.T) {
	api := testMediaAPI(t)
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 10 * time.Second, NoCallWaiting: true}, testLogger(), &fakeDialer{t: t, api: api})
	defer calls.Close()
	_, first := newClientLeg(t, api, "1001", false)
	_, second := newClientLeg(t, api, "1003", false)
	if _, err := calls.Place(PlaceRequest{Caller: first, To: "1005", Observer: &observer{}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "first call ringing", func() bool { return calls.Busy("1005") })
	if _, err := calls.Place(PlaceRequest{Caller: second, To: "1005", Observer: &observer{}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("second caller not refused")
	}
	if second.EndReason() != ReasonBusy {
		t.Fatalf("reason %q, want busy", second.EndReason())
	}
}

func TestCallWaitingRingsOnceMoreThenBusy(t *testing.T) {
	api := testMediaAPI(t)
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 10 * time.Second}, testLogger(), &fakeDialer{t: t, api: api})
	defer calls.Close()
	var legs []*WebRTCLeg
	var obs []*observer
	for _, n := range []string{"1001", "1003", "1006"} {
		_, leg := newClientLeg(t, api, n, false)
		o := &observer{}
		if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1005", Observer: o}); err != nil {
			t.Fatal(err)
		}
		legs, obs = append(legs, leg), append(obs, o)
		if n != "1006" {
			eventually(t, 2*time.Second, n+"'s call ringing", func() bool { r, _ := o.state(); return r == 1 })
		}
	}
	select {
	case <-legs[2].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("third caller not refused")
	}
	if legs[2].EndReason() != ReasonBusy {
		t.Fatalf("third caller: %q, want busy", legs[2].EndReason())
	}
	if r, _ := obs[1].state(); r != 1 {
		t.Fatal("the second call did not ring (call waiting)")
	}
}

// readyObserver notes, when it is told a call connected, whether the call
// already takes commands.
type readyObserver struct {
	observer
	calls *Calls
	ready chan bool
}

func (o *readyObserver) Connected(id string, peer Identity, video bool, since time.Time) {
	o.observer.Connected(id, peer, video, since)
	cl := o.calls.lookup(id)
	o.ready <- cl != nil && cl.looping.Load()
}

// TestCommandsTakenOnceConnectedIsSaid: a party told "connected" may hold
// or transfer at once (a test, a script, a quick user); the call must
// already take commands then, not answer "not in that call".
func TestCommandsTakenOnceConnectedIsSaid(t *testing.T) {
	api := testMediaAPI(t)
	dialer := &fakeDialer{t: t, api: api}
	calls := NewCalls(CallsConfig{NoAnswerTimeout: 5 * time.Second}, testLogger(), dialer)
	defer calls.Close()
	_, leg := newClientLeg(t, api, "1001", false)
	obs := &readyObserver{calls: calls, ready: make(chan bool, 1)}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "1002", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	select {
	case ready := <-obs.ready:
		if !ready {
			t.Fatal("the call did not take commands yet when its caller was told it connected")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call never connected")
	}
}
