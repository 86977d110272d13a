package web

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/cluster"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
)

// cascadeNode is one in-process node of a room cascade test: its own
// media, rooms, cascade socket and bus node on a shared cluster.Hub.
type cascadeNode struct {
	id    string
	bus   cluster.Cluster
	api   *sfu.MediaAPI
	rooms *sfu.Conferences
	cas   *sfu.Cascade
	rc    *RoomCascade
	// bridges dial room 7000's PBX bridge when a test asks for one.
	bridges *sfu.Bridges
	once    sync.Once
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCascadeNode(t *testing.T, hub *cluster.Hub, id string, mode sfu.VideoMode) *cascadeNode {
	t.Helper()
	return newCascadeNodeFor(t, hub, id, sfu.RoomSpec{Number: "7000", Name: "All hands", Video: mode})
}

// newCascadeNodeFor is a node whose only room is spec (number 7000).
func newCascadeNodeFor(t *testing.T, hub *cluster.Hub, id string, spec sfu.RoomSpec) *cascadeNode {
	t.Helper()
	log := quietLog()
	n := &cascadeNode{id: id}
	var err error
	if n.bus, err = hub.Node(id, nil); err != nil {
		t.Fatal(err)
	}
	if n.api, err = sfu.NewMediaAPI(configs.Media{Interfaces: []string{"lo"}}, nil, log); err != nil {
		t.Fatal(err)
	}
	cfg := sfu.ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111},
		Speaker: audiolevel.DefaultParams(), Codecs: sfu.OpusCodecs{},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}
	n.rooms = sfu.NewConferences([]sfu.RoomSpec{spec}, cfg, log)
	if n.cas, err = sfu.NewCascade("127.0.0.1:0", log); err != nil {
		t.Fatal(err)
	}
	if n.rc, err = NewRoomCascade(n.bus, n.rooms, n.cas, 3, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.stop)
	return n
}

// stop is the node leaving: the cascade, its socket, the bus, the media.
func (n *cascadeNode) stop() {
	n.once.Do(func() {
		if n.bridges != nil {
			n.bridges.Close()
		}
		n.rc.Close()
		n.cas.Close()
		_ = n.bus.Close()
		n.api.Close()
	})
}

// roomObserver records what a member's UI is told.
type roomObserver struct {
	mu       sync.Mutex
	roster   []sfu.Member
	dominant string
	slots    []sfu.Slot
	chat     []sfu.ChatMessage // as the tab shows it: history, then new ones
}

func (o *roomObserver) Joined(string, sfu.RoomSpec, string) {}
func (o *roomObserver) Roster(_ string, m []sfu.Member) {
	o.mu.Lock()
	o.roster = m
	o.mu.Unlock()
}
func (o *roomObserver) Speakers(_, dominant string, _ []string) {
	o.mu.Lock()
	o.dominant = dominant
	o.mu.Unlock()
}
func (o *roomObserver) VideoSlots(_ string, s []sfu.Slot) {
	o.mu.Lock()
	o.slots = s
	o.mu.Unlock()
}

// users is the Users list as the member sees it: numbers, sorted.
func (o *roomObserver) users() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, m := range o.roster {
		out = append(out, m.Number)
	}
	slices.Sort(out)
	return out
}

func (o *roomObserver) speaker() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dominant
}

// roomUser is a fake browser in room 7000 on one node.
type roomUser struct {
	number string
	client *sfutest.Client
	leg    *sfu.WebRTCLeg
	obs    *roomObserver
}

// joinUser connects a pion client to node n and puts it into room 7000,
// answering server offers as a browser does.
func joinUser(t *testing.T, n *cascadeNode, number string, opts sfutest.Options) *roomUser {
	t.Helper()
	u, err := tryJoin(t, n, number, opts)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// tryJoin is joinUser that reports the room's refusal; like a call, the
// member leaves the room when its leg ends.
func tryJoin(t *testing.T, n *cascadeNode, number string, opts sfutest.Options) (*roomUser, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, leg, err := connectClient(ctx, n, sfu.Identity{Number: number, Name: "N" + number}, opts)
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	if leg != nil {
		t.Cleanup(func() { _ = leg.Hangup(context.Background(), sfu.ReasonHangup) })
	}
	if err != nil {
		t.Fatal(err)
	}
	u := &roomUser{number: number, client: c, leg: leg, obs: &roomObserver{}}
	conf, err := n.rooms.Join(ctx, "7000", "", "call-"+number, leg, u.obs)
	if err != nil {
		return nil, err
	}
	leave := sync.OnceFunc(func() { n.rooms.Leave(conf, leg) })
	stop := sfu.AfterDone(leg, leave)
	t.Cleanup(func() {
		stop()
		leave()
	})
	return u, nil
}

// connectClient connects a pion client to node n's media as a browser
// does (it answers the server's later offers too); the caller closes
// what it returns, also on error.
func connectClient(ctx context.Context, n *cascadeNode, id sfu.Identity, opts sfutest.Options) (*sfutest.Client, *sfu.WebRTCLeg, error) {
	c, err := sfutest.NewClientWith(opts)
	if err != nil {
		return nil, nil, err
	}
	offer, err := c.Offer(ctx)
	if err != nil {
		return c, nil, err
	}
	leg, answer, err := n.api.NewWebRTCLeg(ctx, id, offer)
	if err != nil {
		return c, nil, err
	}
	if err := c.Answer(answer); err != nil {
		return c, leg, err
	}
	if err := c.Connected(ctx); err != nil {
		return c, leg, err
	}
	c.Listen()
	leg.SetOfferHandler(func(offer string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if answer, err := c.AnswerOffer(ctx, offer); err == nil {
				_ = leg.ApplyAnswer(answer)
			}
		}()
	})
	return c, leg, nil
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
