package web

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// fakePBX is a trunk whose every call answers with a pion client playing
// a tone, standing for a PBX ConfBridge that room 7000 bridges to.
type fakePBX struct {
	n    *cascadeNode
	tone float64

	mu      sync.Mutex
	clients []*sfutest.Client
	legs    []*sfu.WebRTCLeg
}

func (p *fakePBX) Reaches(string) bool { return true }

func (p *fakePBX) Dial(ctx context.Context, _ sfu.DialRequest) (sfu.Leg, error) {
	c, leg, err := connectClient(ctx, p.n, sfu.Identity{Number: "8000", Name: "PBX bridge"}, sfutest.Options{})
	p.mu.Lock()
	if c != nil {
		p.clients = append(p.clients, c)
	}
	if leg != nil {
		p.legs = append(p.legs, leg)
	}
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c.Level.Store(20)
	if err := c.StartTone(p.tone, 8000); err != nil {
		return nil, err
	}
	return leg, nil
}

// dials is how many bridge calls the node made.
func (p *fakePBX) dials() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.legs)
}

// last is the far end of the latest bridge call, as a member of the room.
func (p *fakePBX) last() *roomUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &roomUser{number: "8000", client: p.clients[len(p.clients)-1]}
}

func (p *fakePBX) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.legs {
		_ = l.Hangup(context.Background(), sfu.ReasonHangup)
	}
	for _, c := range p.clients {
		_ = c.Close()
	}
}

// withBridge makes room 7000 bridged on node n, as server wiring does.
func withBridge(t *testing.T, n *cascadeNode, tone float64) *fakePBX {
	pbx := &fakePBX{n: n, tone: tone}
	t.Cleanup(pbx.close)
	n.bridges = sfu.NewBridges(n.rooms, []sfu.BridgeSpec{{Room: "7000", Trunk: "pbx", Number: "8000"}},
		func(string) sfu.Dialer { return pbx }, quietLog())
	n.bridges.SetGate(n.rc.Hosts)
	n.rc.OnHosting(n.bridges.Evaluate)
	return pbx
}

// TestBridgedRoomAcrossNodes: a room with a PBX bridge and members on two
// nodes dials the bridge from its host only; the PBX's audio reaches the
// member on the other node and the PBX hears both members. The host's
// last member leaving keeps the bridge where it is; when the host goes,
// the other node takes the room and the bridge over.
func TestBridgedRoomAcrossNodes(t *testing.T) {
	hub := cluster.NewHub(nil)
	nodes := []*cascadeNode{newCascadeNode(t, hub, "n1", sfu.VideoNone), newCascadeNode(t, hub, "n2", sfu.VideoNone)}
	pbx := []*fakePBX{withBridge(t, nodes[0], 1500), withBridge(t, nodes[1], 1500)}
	freqs := map[string]float64{"1001": 440, "1002": 700, "8000": 1500}
	u1 := joinUser(t, nodes[0], "1001", sfutest.Options{})
	waitFor(t, 5*time.Second, "the host n1 dialling the bridge", func() bool { return pbx[0].dials() == 1 })
	u2 := joinUser(t, nodes[1], "1002", sfutest.Options{})
	users := []*roomUser{u1, u2}
	for _, u := range users {
		u.client.Level.Store(20)
		if err := u.client.StartTone(freqs[u.number], 8000); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "both members and the bridge on every node", func() bool {
		return everyoneSees(users, []string{"1001", "1002", "8000"})
	})
	all := append(slices.Clone(users), pbx[0].last())
	for _, u := range all {
		u.client.ForgetHeard()
	}
	waitFor(t, 10*time.Second, "the mix decoded by members and PBX", func() bool { return heardEnough(all) })
	for _, u := range all {
		hears(t, u, all, freqs)
	}
	if d := pbx[1].dials(); d != 0 {
		t.Fatalf("the edge n2 dialled the bridge %d times; only the host may", d)
	}

	// The host's last member leaves: n1 keeps the room and its bridge
	// while n2 has a member (no redial), and 1002 still hears the PBX.
	_ = u1.leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitFor(t, 5*time.Second, "1001 gone, the bridge kept", func() bool {
		return everyoneSees([]*roomUser{u2}, []string{"1002", "8000"})
	})
	pair := []*roomUser{u2, pbx[0].last()}
	for _, u := range pair {
		u.client.ForgetHeard()
	}
	waitFor(t, 10*time.Second, "1002 and the PBX hearing each other", func() bool { return heardEnough(pair) })
	for _, u := range pair {
		hears(t, u, pair, freqs)
	}
	if d0, d1 := pbx[0].dials(), pbx[1].dials(); d0 != 1 || d1 != 0 {
		t.Fatalf("bridge dials n1 %d, n2 %d after the host's last member left; want 1 and 0", d0, d1)
	}

	nodes[0].stop() // the host goes: n2 hosts the room and bridges it
	waitFor(t, 5*time.Second, "n2 dialling the bridge", func() bool { return pbx[1].dials() == 1 })
	waitFor(t, 5*time.Second, "1002 and n2's bridge in the room", func() bool {
		return everyoneSees([]*roomUser{u2}, []string{"1002", "8000"}) && len(nodes[1].rooms.Snapshot(context.Background())[0].Members) == 2
	})
	rest := []*roomUser{u2, pbx[1].last()}
	for _, u := range rest {
		u.client.ForgetHeard()
	}
	waitFor(t, 10*time.Second, "the mix decoded after the take-over", func() bool { return heardEnough(rest) })
	for _, u := range rest {
		hears(t, u, rest, freqs)
	}
	if d := pbx[0].dials(); d != 1 {
		t.Fatalf("n1 dialled the bridge %d times, want 1", d)
	}
}
