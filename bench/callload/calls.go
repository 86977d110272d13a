package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"xphone/sfu/sfutest"
)

// call is one held call: two tabs (browser ↔ browser) or one tab whose
// call goes out through the trunk to the echoing PBX (browser ↔ trunk).
type call struct {
	kind  string // "browser" or "trunk"
	sides []*phone
	tone  float64  // trunk calls: the tone the PBX must echo back
	last  []uint64 // audio packets per side at the previous sample
	lost  string   // why the call was lost, once it was
}

// echoFloor is the level under which the echoed tone counts as absent.
const echoFloor = -40 // dBFS

// setupTimeout bounds one call's login, dial and connection.
const setupTimeout = 30 * time.Second

// placeAll sets up o.calls calls, o.parallel at a time: browser calls
// first (extensions in pairs), then trunk calls.
func placeAll(ctx context.Context, srv *server, o options) ([]*call, error) {
	calls := make([]*call, o.calls)
	errs := make([]error, o.calls)
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, setupTimeout)
			defer cancel()
			if i < o.browserCalls() {
				calls[i], errs[i] = browserCall(cctx, srv.url, firstExt+2*i)
			} else {
				calls[i], errs[i] = trunkCall(cctx, srv.url, firstExt+2*o.browserCalls()+(i-o.browserCalls()))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return calls, fmt.Errorf("call %d: %w", i, err)
		}
	}
	return calls, nil
}

// browserCall: extension a calls a+1, which accepts; both send audio.
func browserCall(ctx context.Context, url string, a int) (*call, error) {
	c := &call{kind: "browser"}
	caller, err := login(ctx, url, fmt.Sprint(a))
	if err != nil {
		return c, err
	}
	c.sides = append(c.sides, caller)
	callee, err := login(ctx, url, fmt.Sprint(a+1))
	if err != nil {
		return c, err
	}
	c.sides = append(c.sides, callee)
	accepted := make(chan error, 1)
	go func() { accepted <- callee.accept(ctx) }()
	if err := caller.dial(ctx, fmt.Sprint(a+1)); err != nil {
		return c, err
	}
	if err := <-accepted; err != nil {
		return c, err
	}
	for i, p := range c.sides { // talking: a packet every 20 ms (silence would be DTX)
		p.client.Level.Store(40)
		p.client.StartSending(byte(a + i))
	}
	return c, nil
}

// trunkCall: extension a dials 9<a> through the trunk; the PBX answers and
// echoes the tab's tone back.
func trunkCall(ctx context.Context, url string, a int) (*call, error) {
	c := &call{kind: "trunk", tone: 300 + float64(a%40)*20}
	p, err := login(ctx, url, fmt.Sprint(a))
	if err != nil {
		return c, err
	}
	c.sides = append(c.sides, p)
	if err := p.dial(ctx, fmt.Sprint("9", a)); err != nil {
		return c, err
	}
	p.client.Listen() // decode what comes back, to find the echoed tone
	return c, p.client.StartTone(c.tone, 8000)
}

// check notes a lost call and returns how many of its sides received fewer
// than min audio packets since the previous check.
func (c *call) check(min uint64) (starved int) {
	if c.lost != "" {
		return 0
	}
	if c.last == nil {
		c.last = make([]uint64, len(c.sides))
	}
	for i, p := range c.sides {
		if why := p.lost(); why != "" {
			c.lost = p.number + ": " + why
			return 0
		}
		n := p.audio()
		if n-c.last[i] < min || (c.tone > 0 && min > 0 && sfutest.ToneDB(p.client.Heard(200*time.Millisecond), c.tone) < echoFloor) {
			starved++
		}
		c.last[i] = n
	}
	return starved
}

func (c *call) hangup() {
	for _, p := range c.sides {
		if p != nil {
			p.hangup()
		}
	}
}
