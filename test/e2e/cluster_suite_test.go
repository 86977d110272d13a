package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"xphone/cluster/clustertest"
)

// The three-node Chromium suite of issue #18 (docs/cluster.md): redis-server,
// kamailio as the trunk's registrar, three xphone processes on 127.0.0.11,
// .12 and .13 behind one TCP balancer on 127.0.0.1, and real Chromium users
// homed on different nodes. The scenarios share the cluster and run in
// order, each building on the previous one's state.

// clusterRig is the running cluster of one TestClusterOfThreeNodes.
type clusterRig struct {
	t     *testing.T
	redis *clustertest.Redis
	rdb   *redis.Client
	kam   *registrar
	nodes []*clusterNode // n1, n2, n3
	lb    *balancer
	entry *testServer         // the balancer's URL, for browser.login
	users map[string]*browser // by extension
}

// startCluster starts Redis, kamailio and the three nodes. n2 starts
// first, so that it holds the trunk's registration lease: the node the
// failover scenario kills.
func startCluster(t *testing.T) *clusterRig {
	t.Helper()
	requireBrowser(t)
	c := &clusterRig{t: t, users: map[string]*browser{}}
	c.redis = clustertest.StartRedis(t)
	c.rdb = redis.NewClient(&redis.Options{Addr: c.redis.Addr(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = c.rdb.Close() })
	c.kam = startRegistrar(t)
	bin := buildXphone(t, t.TempDir())
	for i := range 3 {
		id, ip := fmt.Sprintf("n%d", i+1), fmt.Sprintf("127.0.0.%d", 11+i)
		c.nodes = append(c.nodes, newClusterNode(t, bin, id, ip, c.redis.Addr(), clusterRegistrarAddr))
	}
	start := time.Now()
	c.nodes[1].start()
	c.waitLeaseHolder("n2", "", 5*time.Second)
	c.nodes[0].start()
	c.nodes[2].start()
	t.Logf("three nodes ready in %v", time.Since(start).Round(10*time.Millisecond))
	var addrs []string
	for _, n := range c.nodes {
		addrs = append(addrs, n.http)
	}
	c.lb = startBalancer(t, addrs)
	c.entry = &testServer{URL: "https://" + c.lb.addr() + "/xphone/"}
	return c
}

// trunkLeaseKey is the Redis key of the trunk account's registration lease
// (docs/cluster.md, "Trunk registration as a lease").
const trunkLeaseKey = "{xphone}:lease:trunk:pbx:xphone"

// leaseHolder is the node holding the trunk's lease, "" when nobody does.
func (c *clusterRig) leaseHolder() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := c.rdb.Get(ctx, trunkLeaseKey).Result()
	if err != nil {
		return ""
	}
	holder, _, _ := strings.Cut(v, " ")
	return holder
}

// waitLeaseHolder waits until the lease is held by want (or, want "", by
// anyone but not), and returns the holder.
func (c *clusterRig) waitLeaseHolder(want, not string, within time.Duration) string {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		h := c.leaseHolder()
		if h != "" && (want == "" || h == want) && h != not {
			return h
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("trunk lease holder %q after %v, want %q (not %q)", h, within, want, not)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// extensionNodes is the directory's entry of ext: the nodes holding its
// tabs, whether alive or not.
func (c *clusterRig) extensionNodes(ext string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ids, _ := c.rdb.ZRange(ctx, "{xphone}:ext:"+ext, 0, -1).Result()
	return ids
}

// nodeAlive reports whether the node's heartbeat key exists.
func (c *clusterRig) nodeAlive(id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, _ := c.rdb.Exists(ctx, "{xphone}:node:"+id).Result()
	return n == 1
}

// clusterTones are the users' microphones: a steady tone each, sent
// unprocessed (no noise suppression to fade a steady tone out), so that the
// received audio energy grows visibly while media flows. The frequencies
// are 110 Hz or more from each other and from every sum, difference and
// third-order product of the others, and each is alone in its Opus (CELT)
// band (400–600, 1000–1200, 1200–1400, 1400–1600 Hz), so that a mix of
// some of them never shows the others' (the room step checks nobody hears
// their own; with 880 and 960 Hz in one band, the coding noise of 880 Hz
// lifted 960 Hz to 12 dB below it).
var clusterTones = map[string]float64{"1001": 460, "1002": 1140, "1003": 1260, "1004": 1490}

// clusterCameras are the users' cameras: a colour each, so that a tile's
// picture tells whose video it plays (Dave, who joins the room audio-only,
// shares Alice's red: the test cameras have three colours).
var clusterCameras = map[string]rgb{"1001": camRed, "1002": camGreen, "1003": camBlue, "1004": camRed}

// loginOn opens a Chromium for ext, logs in through the balancer while it
// prefers node i, and requires the tab to be homed there: the directory
// names node i, and only it, for ext.
func (c *clusterRig) loginOn(ext string, i int) *browser {
	c.t.Helper()
	b := newBrowser(c.t, ext, withTone(clusterTones[ext], -20), withCamera(clusterCameras[ext]), withRawAudio())
	b.addScript(recorderJS)
	c.lb.preferNode(i)
	b.login(c.entry, ext)
	id := c.nodes[i].id
	deadline := time.Now().Add(signalTimeout)
	for !equalStrings(c.extensionNodes(ext), []string{id}) {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s's tab is homed on %v, want [%s]", ext, c.extensionNodes(ext), id)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.users[ext] = b
	return b
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// TestClusterOfThreeNodes runs the scenarios of issue #18's "How it is
// proven" that need real browsers, in order, on one cluster: Alice (1001)
// on n1, Bob (1002) and Dave (1004) on n2, Carol (1003) on n3; a room with
// all four; after the kill of n2, Bob and Dave are on n3.
func TestClusterOfThreeNodes(t *testing.T) {
	c := startCluster(t)
	c.loginOn("1001", 0)
	c.loginOn("1002", 1)
	c.loginOn("1004", 1)
	c.loginOn("1003", 2)

	steps := []struct {
		name string
		run  func(*testing.T, *clusterRig)
	}{
		{"cross-node-call", clusterCrossNodeCall},
		{"trunk-call-on-a-node-without-the-lease", clusterTrunkCallOnAnyNode},
		// Before the kill: all three nodes are alive and hold members.
		{"room-on-all-three-nodes", clusterRoomOnThreeNodes},
		{"kill-9-of-a-node", clusterNodeKilled},
		{"redis-outage", clusterRedisOutage},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) { s.run(t, c.with(t)) })
		c.with(t) // the browsers' cleanups report to this test again
		if !ok {
			t.Fatalf("step %s failed; the later steps build on it", s.name)
		}
	}
}

// with is the rig, and its users' browsers, reporting to subtest t.
func (c *clusterRig) with(t *testing.T) *clusterRig {
	cc := *c
	cc.t = t
	for _, b := range c.users {
		b.t = t
	}
	return &cc
}

// hangUp ends a connected call from a's side and waits until both are idle.
func hangUp(a, b *browser) {
	a.click("button", "Hang up")
	b.waitUntil(b.name+" idle after the hang-up", signalTimeout, idle())
	a.waitUntil(a.name+" idle after the hang-up", signalTimeout, idle())
}

// setupFigure times one call as its users see it, from the browsers'
// recorders (one clock: the machine's): the caller's click → "Ringing"
// on the caller's screen, and the callee's Accept → "Connected" on the
// caller's screen.
func setupFigure(t *testing.T, caller, callee *browser, calleeExt, calleeName, button, accept string) (ring, answer time.Duration) {
	t.Helper()
	clicked := caller.lastRecorded("click", regexp.MustCompile("^"+button+"$"))
	ringing := caller.lastRecorded("status", regexp.MustCompile("^Ringing "+calleeExt+"…$"))
	accepted := callee.lastRecorded("click", regexp.MustCompile("^"+accept+"$"))
	connected := caller.lastRecorded("status", regexp.MustCompile("^Connected to "+calleeExt+" "+calleeName+"$"))
	if clicked == 0 || ringing == 0 || accepted == 0 || connected == 0 {
		t.Fatalf("recorder misses a moment: click %d ringing %d accept %d connected %d", clicked, ringing, accepted, connected)
	}
	return time.Duration(ringing-clicked) * time.Millisecond, time.Duration(connected-accepted) * time.Millisecond
}

// lastRecorded is when (Unix ms) key last became a value matching re in
// b's recorder, or 0.
func (b *browser) lastRecorded(key string, re *regexp.Regexp) int64 {
	b.t.Helper()
	var at int64
	b.eval(fmt.Sprintf(`(() => { const r = (window.__rec || []).filter((e) => e.key === %s && %s.test(e.val));
	  return r.length ? r[r.length - 1].at : 0; })()`, js(key), jsRegExp(re)), &at)
	return at
}

// clusterCrossNodeCall: Alice (n1) video-calls Bob (n2) through the
// cluster; both decode audio and video from each other, and the call is
// anchored on the caller's node (n1 counts it, n2 does not). Bob's call to
// Dave on his own node, alternating with the cross-node call, gives the
// baseline setup times (two rounds, so that the first call's camera
// start-up weighs on both kinds).
func clusterCrossNodeCall(t *testing.T, c *clusterRig) {
	alice, bob, dave := c.users["1001"], c.users["1002"], c.users["1004"]
	for round := 1; round <= 2; round++ {
		connectCall(t, bob, dave, "1002", "Bob", "1004", "Dave", true, true)
		ring1, ans1 := setupFigure(t, bob, dave, "1004", "Dave", "Video call", "Accept Video")
		hangUp(bob, dave)

		connectCall(t, alice, bob, "1001", "Alice", "1002", "Bob", true, true)
		ring2, ans2 := setupFigure(t, alice, bob, "1002", "Bob", "Video call", "Accept Video")
		if round == 1 {
			alice.requireMediaFlowing(true, mediaTimeout)
			bob.requireMediaFlowing(true, mediaTimeout)
			if got := c.nodes[0].metric("xphone_calls_active"); got != 1 {
				t.Errorf("n1 (the caller's node, the anchor) has %v calls, want 1", got)
			}
			if got := c.nodes[1].metric("xphone_calls_active"); got != 0 {
				t.Errorf("n2 (the callee's node) has %v calls, want 0: the call is anchored on the caller's", got)
			}
		}
		hangUp(alice, bob)
		t.Logf("FIGURE round %d, video call, click → Ringing on the caller's screen: one node %v, across nodes %v", round, ring1, ring2)
		t.Logf("FIGURE round %d, video call, Accept → Connected on the caller's screen: one node %v, across nodes %v", round, ans1, ans2)
	}
}

// cutSignalling makes the page's new WebSockets fail while on (they go to
// a path of the same origin that is no WebSocket, so the page's Content
// Security Policy allows them and the handshake fails), as a user's
// network outage would to the page; it keeps retrying with its backoff and
// reconnects once the cut is off.
func (b *browser) cutSignalling(on bool) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => {
	  if (!window.__realWS) window.__realWS = window.WebSocket;
	  const Real = window.__realWS;
	  window.WebSocket = %v ? class extends Real { constructor(u, p) { super(new URL('/no-signalling-here', u).href, p); } } : Real;
	  return true; })()`, on), nil)
}

// clusterNodeKilled: kill -9 of n2, which holds Bob's and Dave's tabs and
// the trunk's registration lease. Bob's tab reconnects through the
// balancer to a live node, and Alice can call him there within 10 s of the
// kill. Dave's network is cut at the kill, so the other nodes' presence
// drops him (Offline on Alice's and Carol's screens) and shows him again
// when his tab is back. The lease moves to a surviving node, which
// registers at kamailio within 20 s.
func clusterNodeKilled(t *testing.T, c *clusterRig) {
	alice, bob, carol, dave := c.users["1001"], c.users["1002"], c.users["1003"], c.users["1004"]
	for _, b := range []*browser{alice, carol} {
		b.waitItem("Directory", regexp.MustCompile(`^1004 Dave Available Call$`), signalTimeout)
	}
	// The reconnects land on n3, a node other than the caller's: the call
	// crosses nodes through a directory that still lists the dead n2.
	c.lb.preferNode(2)
	dave.cutSignalling(true)
	logFrom := len(c.kam.out.String())
	killedMs := alice.nowMs()
	killed := time.Now()
	dead := startStopwatch(t, killed, 15*time.Second, func() bool { return !c.nodeAlive("n2") })
	leased := startStopwatch(t, killed, 20*time.Second, func() bool { h := c.leaseHolder(); return h != "" && h != "n2" })
	registered := startStopwatch(t, killed, 20*time.Second, func() bool {
		return c.kam.registeredFrom(c.nodes[0].ip, logFrom) || c.kam.registeredFrom(c.nodes[2].ip, logFrom)
	})
	c.nodes[1].kill()

	bob.waitResumed(2, 10*time.Second)
	resumed := time.Since(killed)
	callable := c.callUntilRinging(alice, bob, "1002", killed, 10*time.Second)
	bob.click("button", "Accept Audio")
	alice.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	alice.requireMediaFlowing(false, mediaTimeout)
	bob.requireMediaFlowing(false, mediaTimeout)
	if nodes := c.extensionNodes("1002"); !contains(nodes, "n3") {
		t.Errorf("after the reconnect the directory has Bob on %v, want n3 among them", nodes)
	}
	hangUp(alice, bob)
	t.Logf("FIGURE kill -9 of n2: Bob's tab reconnected (to n3) after %v; callable (Alice's call rang him) after %v",
		resumed.Round(10*time.Millisecond), callable.Round(10*time.Millisecond))

	offline := regexp.MustCompile(`^Offline$`)
	for _, b := range []*browser{alice, carol} {
		b.waitItem("Directory", regexp.MustCompile(`^1004 Dave Offline Call$`), 15*time.Second)
	}
	dropped := time.Duration(alice.firstRecordedSince("1004", offline, killedMs)-killedMs) * time.Millisecond
	uncutMs := dave.nowMs()
	dave.cutSignalling(false)
	dave.waitResumed(2, 15*time.Second)
	for _, b := range []*browser{alice, carol} {
		b.waitItem("Directory", regexp.MustCompile(`^1004 Dave Available Call$`), signalTimeout)
	}
	back := time.Duration(alice.firstRecordedSince("1004", regexp.MustCompile(`^Available$`), uncutMs)-uncutMs) * time.Millisecond
	t.Logf("FIGURE kill -9 of n2: Dave (network cut) Offline on Alice's screen (n1) after %v; Available again %v after his network came back (page backoff included)",
		dropped.Round(10*time.Millisecond), back.Round(10*time.Millisecond))
	// Bob was back on n3 long before n2's heartbeat expired: he must not
	// have flickered offline on anyone's screen.
	for _, b := range []*browser{alice, carol} {
		if at := b.firstRecordedSince("1002", offline, killedMs); at != 0 {
			t.Errorf("%s's directory showed Bob Offline %v after the kill although his tab was back on n3",
				b.name, time.Duration(at-killedMs)*time.Millisecond)
		}
	}

	took, ok := leased.wait()
	if !ok {
		t.Fatalf("the trunk lease did not leave n2 within 20 s of the kill (holder %q)", c.leaseHolder())
	}
	holder := c.leaseHolder()
	reg, ok := registered.wait()
	if !ok {
		t.Fatalf("kamailio accepted no REGISTER from a surviving node within 20 s of the kill:\n%s", c.kam.out.String()[logFrom:])
	}
	gone, ok := dead.wait()
	if !ok {
		t.Fatal("n2's heartbeat key outlived the kill by 15 s")
	}
	t.Logf("FIGURE kill -9 of n2: trunk lease taken by %s after %v, REGISTER from a surviving node accepted by kamailio after %v; n2's heartbeat key gone after %v",
		holder, took.Round(10*time.Millisecond), reg.Round(10*time.Millisecond), gone.Round(10*time.Millisecond))
}

// stopwatch times, from a moment, when a condition first holds; it polls
// every 20 ms in its own goroutine, which the test's cleanup stops and
// waits for.
type stopwatch struct {
	done chan struct{}
	took time.Duration
	ok   bool
}

func startStopwatch(t *testing.T, from time.Time, within time.Duration, cond func() bool) *stopwatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &stopwatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for time.Since(from) <= within {
			if cond() {
				w.took, w.ok = time.Since(from), true
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-w.done })
	return w
}

// wait returns when the condition held, and false if it did not in time.
func (w *stopwatch) wait() (time.Duration, bool) {
	<-w.done
	return w.took, w.ok
}

// firstRecordedSince is when (Unix ms) b's recorder first saw key match
// re at or after since, or 0.
func (b *browser) firstRecordedSince(key string, re *regexp.Regexp, since int64) int64 {
	b.t.Helper()
	var at int64
	b.eval(fmt.Sprintf(`(() => { const r = (window.__rec || []).find((e) => e.key === %s && e.at >= %d && %s.test(e.val));
	  return r ? r.at : 0; })()`, js(key), since, jsRegExp(re)), &at)
	return at
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// callUntilRinging has caller dial ext until callee's phone rings, and
// returns the time from since to the ring; each refused attempt (the
// directory still pointing at a dead node) is retried at once.
func (c *clusterRig) callUntilRinging(caller, callee *browser, ext string, since time.Time, within time.Duration) time.Duration {
	c.t.Helper()
	attempts := 0
	for {
		attempts++
		caller.dial(ext, false)
		err := callee.poll(2*time.Second, "window.__xpt.names('dialog').length === 1")
		if err == nil {
			took := time.Since(since)
			c.t.Logf("%s rang on attempt %d", ext, attempts)
			if took > within {
				c.t.Fatalf("%s callable only %v after the kill, want ≤ %v", ext, took, within)
			}
			return took
		}
		if time.Since(since) > within {
			c.t.Fatalf("%s not callable within %v of the kill (%d attempts); caller: %s", ext, within, attempts, caller.describe())
		}
		c.t.Logf("attempt %d: %s did not ring; caller's status %q", attempts, ext, caller.text("status"))
		if caller.isVisible("button", "Hang up") {
			caller.click("button", "Hang up")
		}
		caller.waitUntil("caller idle before the next attempt", signalTimeout, idle())
	}
}

// clusterRedisOutage: Redis is killed during a call between Carol and Bob
// (both on n3): their audio keeps flowing, every live node's /readyz says
// degraded; Redis comes back empty, the nodes heal the directory without a
// restart, and Alice (n1) calls Dave (n3) across nodes again.
func clusterRedisOutage(t *testing.T, c *clusterRig) {
	alice, bob, carol, dave := c.users["1001"], c.users["1002"], c.users["1003"], c.users["1004"]
	live := []*clusterNode{c.nodes[0], c.nodes[2]}
	connectCall(t, carol, bob, "1003", "Carol", "1002", "Bob", false, false)
	carol.requireMediaFlowing(false, mediaTimeout)

	stopped := time.Now()
	c.redis.Stop()
	for _, n := range live {
		n.waitReadyz(t, true, 10*time.Second)
	}
	degraded := time.Since(stopped)
	// At least 3 s down: more than a heartbeat period (TTL/3 = 2 s), so
	// every node has failed to reach Redis while the call goes on.
	for time.Since(stopped) < 3*time.Second {
		for _, b := range []*browser{carol, bob} {
			b.requireMediaFlowing(false, mediaTimeout)
		}
	}
	outage := time.Since(stopped)

	restarted := time.Now()
	c.redis.Start()
	for _, n := range live {
		n.waitReadyz(t, false, 10*time.Second)
	}
	healed := time.Since(restarted)
	for _, b := range []*browser{carol, bob} {
		b.requireMediaFlowing(false, mediaTimeout)
	}
	hangUp(carol, bob)
	deadline := time.Now().Add(10 * time.Second)
	for !contains(c.extensionNodes("1004"), "n3") {
		if time.Now().After(deadline) {
			t.Fatalf("Dave (n3) not back in the directory within 10 s of Redis answering")
		}
		time.Sleep(50 * time.Millisecond)
	}
	directory := time.Since(restarted)

	connectCall(t, alice, dave, "1001", "Alice", "1004", "Dave", false, false)
	alice.requireMediaFlowing(false, mediaTimeout)
	dave.requireMediaFlowing(false, mediaTimeout)
	if got := c.nodes[0].metric("xphone_calls_active"); got != 1 {
		t.Errorf("n1 (Alice's node) has %v calls, want 1: the cross-node call anchored there", got)
	}
	hangUp(alice, dave)
	t.Logf("FIGURE Redis killed: every live node's /readyz degraded after %v; Carol↔Bob (n3) audio kept flowing through %v of outage",
		degraded.Round(10*time.Millisecond), outage.Round(10*time.Millisecond))
	t.Logf("FIGURE Redis restarted empty: /readyz healthy again after %v, Dave back in the directory after %v; Alice (n1) → Dave (n3) connected with audio both ways",
		healed.Round(10*time.Millisecond), directory.Round(10*time.Millisecond))
}

// waitReadyz waits until /readyz answers 200 and is degraded (the body
// starts "degraded" and X-Xphone-Degraded says cluster) or is not.
func (n *clusterNode) waitReadyz(t *testing.T, degraded bool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body, header := n.readyz()
		isDegraded := code == http.StatusOK && strings.HasPrefix(body, "degraded") && header == "cluster"
		healthy := code == http.StatusOK && !strings.HasPrefix(body, "degraded") && header == ""
		if (degraded && isDegraded) || (!degraded && healthy) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s /readyz = %d %q (X-Xphone-Degraded %q) after %v, want degraded=%v", n.id, code, body, header, within, degraded)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
