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
	t      *testing.T
	redis  *clustertest.Redis
	rdb    *redis.Client
	kam    *registrar
	nodes  []*clusterNode // n1, n2, n3
	lb     *balancer
	entry  *testServer // the balancer's URL, for browser.login
	users  map[string]*browser
	homeOf map[string]int // extension → index of its node in nodes
}

// startCluster starts Redis, kamailio and the three nodes. n2 starts
// first, so that it holds the trunk's registration lease: the node the
// failover scenario kills.
func startCluster(t *testing.T) *clusterRig {
	t.Helper()
	requireBrowser(t)
	c := &clusterRig{t: t, users: map[string]*browser{}, homeOf: map[string]int{}}
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

// loginOn opens a Chromium for ext, logs in through the balancer while it
// prefers node i, and requires the tab to be homed there: the node counts
// the tab, and the directory names it for ext.
func (c *clusterRig) loginOn(ext string, i int) *browser {
	c.t.Helper()
	b := newBrowser(c.t, ext)
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
	c.users[ext], c.homeOf[ext] = b, i
	return b
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// TestClusterOfThreeNodes runs the scenarios of issue #18's "How it is
// proven" that need real browsers, in order, on one cluster:
// Alice (1001) and Dave (1004) on n1, Bob (1002) on n2, Carol (1003) on n3.
func TestClusterOfThreeNodes(t *testing.T) {
	c := startCluster(t)
	c.loginOn("1001", 0)
	c.loginOn("1004", 0)
	c.loginOn("1002", 1)
	c.loginOn("1003", 2)

	steps := []struct {
		name string
		run  func(*testing.T, *clusterRig)
	}{
		{"cross-node-call", clusterCrossNodeCall},
		{"kill-9-of-a-node", clusterNodeKilled},
		// ROOM ACROSS THREE NODES — NOT WRITTEN YET (issue #18: "a room with
		// participants on all three nodes: everyone hears the talkers, the
		// speaker frame agrees on every node"). Rooms across nodes are being
		// built by another helper; its author adds the step here, e.g.
		//   {"room-on-all-three-nodes", clusterRoomOnThreeNodes},
		// with Alice on n1, Carol on n3 and Bob (on n3 or n1 after the kill
		// above; restart a node or log a user in on it to cover all three).
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
// cluster; both decode audio and video from each other, the call is
// anchored on the caller's node (n1 counts it, n2 does not); the same call
// between Alice and Dave on one node gives the baseline setup times.
func clusterCrossNodeCall(t *testing.T, c *clusterRig) {
	alice, bob, dave := c.users["1001"], c.users["1002"], c.users["1004"]
	connectCall(t, alice, dave, "1001", "Alice", "1004", "Dave", true, true)
	ring1, ans1 := setupFigure(t, alice, dave, "1004", "Dave", "Video call", "Accept Video")
	hangUp(alice, dave)

	connectCall(t, alice, bob, "1001", "Alice", "1002", "Bob", true, true)
	ring2, ans2 := setupFigure(t, alice, bob, "1002", "Bob", "Video call", "Accept Video")
	alice.requireMediaFlowing(true, mediaTimeout)
	bob.requireMediaFlowing(true, mediaTimeout)
	if got := c.nodes[0].metric("xphone_calls_active"); got != 1 {
		t.Errorf("n1 (the caller's node, the anchor) has %v calls, want 1", got)
	}
	if got := c.nodes[1].metric("xphone_calls_active"); got != 0 {
		t.Errorf("n2 (the callee's node) has %v calls, want 0: the call is anchored on the caller's", got)
	}
	t.Logf("FIGURE call setup, click → Ringing on the caller's screen: one node %v, across nodes %v", ring1, ring2)
	t.Logf("FIGURE call setup, Accept → Connected on the caller's screen: one node %v, across nodes %v", ans1, ans2)
	hangUp(alice, bob)
}

// clusterNodeKilled: kill -9 of n2, which holds Bob's tab and the trunk's
// registration lease. Bob's tab reconnects through the balancer to a live
// node and Alice can call him again within 10 s of the kill; the other
// nodes' presence shows him (offline while no live node has his tab, then
// available again); the lease moves to a surviving node, which registers
// at kamailio within 20 s.
func clusterNodeKilled(t *testing.T, c *clusterRig) {
	alice, bob := c.users["1001"], c.users["1002"]
	alice.waitItem("Directory", regexp.MustCompile(`^1002 Bob Available Call$`), signalTimeout)
	// Bob's reconnect lands on n3 (a node other than the caller's): the
	// call must cross nodes through a directory that still lists the dead
	// n2 until its heartbeat expires.
	c.lb.preferNode(2)
	logFrom := len(c.kam.out.String())
	killed := time.Now()
	killedMs := alice.nowMs()
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

	holder := c.waitLeaseHolder("", "n2", 20*time.Second-time.Since(killed))
	leased := time.Since(killed)
	ip := c.nodes[map[string]int{"n1": 0, "n3": 2}[holder]].ip
	for !c.kam.registeredFrom(ip, logFrom) {
		if time.Since(killed) > 20*time.Second {
			t.Fatalf("kamailio saw no REGISTER from the new holder %s (%s) within 20 s of the kill:\n%s", holder, ip, c.kam.out.String()[logFrom:])
		}
		time.Sleep(20 * time.Millisecond)
	}
	registered := time.Since(killed)

	for c.nodeAlive("n2") {
		if time.Since(killed) > 10*time.Second {
			t.Fatal("n2's heartbeat key outlived the default TTL (6 s) by 4 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	dead := time.Since(killed)
	alice.waitItem("Directory", regexp.MustCompile(`^1002 Bob Available Call$`), signalTimeout)
	offline := alice.recordedSince("1002", regexp.MustCompile(`^Offline$`), killedMs)
	t.Logf("FIGURE kill -9 of n2: Bob's tab reconnected (to n3) after %v; callable (Alice's call rang him) after %v",
		resumed.Round(10*time.Millisecond), callable.Round(10*time.Millisecond))
	t.Logf("FIGURE kill -9 of n2: trunk lease taken by %s after %v, its REGISTER accepted by kamailio after %v",
		holder, leased.Round(10*time.Millisecond), registered.Round(10*time.Millisecond))
	t.Logf("FIGURE kill -9 of n2: n2's heartbeat key gone (other nodes drop it) after %v; Alice's directory showed Bob offline: %s",
		dead.Round(10*time.Millisecond), offline)
	c.homeOf["1002"] = 2
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recordedSince describes when b's recorder saw key match re after since
// (Unix ms): "no" or "from +X s to +Y s".
func (b *browser) recordedSince(key string, re *regexp.Regexp, since int64) string {
	b.t.Helper()
	var span struct{ From, To int64 }
	b.eval(fmt.Sprintf(`(() => { const r = (window.__rec || []).filter((e) => e.key === %s && e.at >= %d);
	  const i = r.findIndex((e) => %s.test(e.val)); if (i < 0) return {From: 0, To: 0};
	  return {From: r[i].at, To: i + 1 < r.length ? r[i + 1].at : Date.now()}; })()`, js(key), since, jsRegExp(re)), &span)
	if span.From == 0 {
		return "no"
	}
	return fmt.Sprintf("from +%.2f s to +%.2f s after the kill", float64(span.From-since)/1000, float64(span.To-since)/1000)
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

// clusterRedisOutage: Redis is killed during a call between Alice and Dave
// (both on n1): their audio keeps flowing, every node's /readyz says
// degraded; Redis comes back empty, the nodes heal the directory without a
// restart, and Carol (n3) calls Dave (n1) across nodes again.
func clusterRedisOutage(t *testing.T, c *clusterRig) {
	alice, dave, carol := c.users["1001"], c.users["1004"], c.users["1003"]
	live := []*clusterNode{c.nodes[0], c.nodes[2]}
	connectCall(t, alice, dave, "1001", "Alice", "1004", "Dave", false, false)
	alice.requireMediaFlowing(false, mediaTimeout)

	stopped := time.Now()
	c.redis.Stop()
	for _, n := range live {
		n.waitReadyz(t, true, 10*time.Second)
	}
	degraded := time.Since(stopped)
	for _, b := range []*browser{alice, dave} {
		b.requireMediaFlowing(false, mediaTimeout)
	}
	outage := time.Since(stopped)

	restarted := time.Now()
	c.redis.Start()
	for _, n := range live {
		n.waitReadyz(t, false, 10*time.Second)
	}
	healed := time.Since(restarted)
	for _, b := range []*browser{alice, dave} {
		b.requireMediaFlowing(false, mediaTimeout)
	}
	hangUp(alice, dave)
	deadline := time.Now().Add(10 * time.Second)
	for !contains(c.extensionNodes("1004"), "n1") {
		if time.Now().After(deadline) {
			t.Fatalf("Dave (n1) not back in the directory within 10 s of Redis answering")
		}
		time.Sleep(50 * time.Millisecond)
	}
	directory := time.Since(restarted)

	connectCall(t, carol, dave, "1003", "Carol", "1004", "Dave", false, false)
	carol.requireMediaFlowing(false, mediaTimeout)
	dave.requireMediaFlowing(false, mediaTimeout)
	if got := c.nodes[2].metric("xphone_calls_active"); got != 1 {
		t.Errorf("n3 (Carol's node) has %v calls, want 1: the cross-node call anchored there", got)
	}
	hangUp(carol, dave)
	t.Logf("FIGURE Redis killed: every live node's /readyz degraded after %v; Alice↔Dave (n1) audio kept flowing through %v of outage",
		degraded.Round(10*time.Millisecond), outage.Round(10*time.Millisecond))
	t.Logf("FIGURE Redis restarted empty: /readyz healthy again after %v, Dave back in the directory after %v; Carol (n3) → Dave (n1) connected with audio both ways",
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
