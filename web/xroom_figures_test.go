package web

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// TestRoomCascadeFigures measures what docs/benchmarks.md quotes: the
// bandwidth between nodes for N talkers and N cameras on one edge, and
// the mouth-to-ear delay a talker's voice gets on its own node, on the
// host (one hop) and on another edge (relayed by the host). It asserts
// only that the media arrives; the figures are logged.
func TestRoomCascadeFigures(t *testing.T) {
	if os.Getenv("XPHONE_FIGURES") == "" {
		t.Skip("figures only (≈ 40 s): set XPHONE_FIGURES=1")
	}
	for _, talkers := range []int{1, 3, 5} {
		sent, relayed := cascadeRates(t, talkers, 0)
		t.Logf("%d talkers on an edge: edge → host %.0f kbit/s, host → other edge %.0f kbit/s", talkers, sent, relayed)
	}
	for _, cams := range []int{1, 2} {
		sent, relayed := cascadeRates(t, 0, cams)
		t.Logf("%d cameras (300 kbit/s) on an edge, nobody talking: edge → host %.0f kbit/s, host → other edge %.0f kbit/s", cams, sent, relayed)
	}
	cascadeDelays(t)
}

// cascadeRates puts talkers and cameras on edge n2 and silent viewers on
// n1 (the host) and n3, and measures 3 s of what crosses.
func cascadeRates(t *testing.T, talkers, cams int) (sent, relayed float64) {
	hub := cluster.NewHub(nil)
	mode := sfu.VideoNone
	if cams > 0 {
		mode = sfu.VideoAll
	}
	n1, n2, n3 := newCascadeNode(t, hub, "n1", mode), newCascadeNode(t, hub, "n2", mode), newCascadeNode(t, hub, "n3", mode)
	defer n1.stop()
	defer n2.stop()
	defer n3.stop()
	for _, v := range []*roomUser{joinUser(t, n1, "1001", sfutest.Options{Video: cams > 0}), joinUser(t, n3, "1003", sfutest.Options{Video: cams > 0})} {
		v.client.Silent.Store(true)
		v.client.Level.Store(127)
		if err := v.client.StartTone(300, 8000); err != nil {
			t.Fatal(err)
		}
	}
	for i := range max(talkers, cams) {
		u := joinUser(t, n2, fmt.Sprint(2000+i), sfutest.Options{Video: i < cams, VideoKbps: 300})
		if i >= talkers {
			u.client.Silent.Store(true)
			u.client.Level.Store(127)
		} else {
			u.client.Level.Store(20)
		}
		if err := u.client.StartTone(float64(500+100*i), 8000); err != nil {
			t.Fatal(err)
		}
	}
	want := 2 + max(talkers, cams)
	waitFor(t, 5*time.Second, "everyone listed on n3", func() bool { return len(n3.rooms.Snapshot(t.Context())) > 0 && roomSize(t, n3) == want })
	time.Sleep(2 * time.Second) // ramp-up: links made, keyframes asked, talkers ranked
	s0, r0, start := linkBytes(n2, "n1"), linkBytes(n1, "n3"), time.Now()
	time.Sleep(3 * time.Second)
	secs := time.Since(start).Seconds()
	sent = float64(linkBytes(n2, "n1")-s0) * 8 / 1000 / secs
	relayed = float64(linkBytes(n1, "n3")-r0) * 8 / 1000 / secs
	if sent == 0 || relayed == 0 {
		t.Fatalf("nothing crossed: %.0f / %.0f kbit/s", sent, relayed)
	}
	return sent, relayed
}

// linkBytes is what n has sent to node for room 7000 (SRTP bytes).
func linkBytes(n *cascadeNode, node string) uint64 {
	n.rc.mu.Lock()
	x := n.rc.parts["7000"]
	n.rc.mu.Unlock()
	if x == nil {
		return 0
	}
	return x.r.SentBytes(node)
}

func roomSize(t *testing.T, n *cascadeNode) int {
	for _, r := range n.rooms.Snapshot(t.Context()) {
		if r.Number == "7000" {
			return len(r.Members)
		}
	}
	return 0
}

// cascadeDelays: a talker on edge n2 switches a tone on every second;
// listeners on n2, on n1 (the host) and on n3 note when they first decode
// it. Each listener's delay is from the talker's switch to that moment.
func cascadeDelays(t *testing.T) {
	hub := cluster.NewHub(nil)
	n1, n2, n3 := newCascadeNode(t, hub, "n1", sfu.VideoNone), newCascadeNode(t, hub, "n2", sfu.VideoNone), newCascadeNode(t, hub, "n3", sfu.VideoNone)
	host := joinUser(t, n1, "1001", sfutest.Options{})
	talker := joinUser(t, n2, "1002", sfutest.Options{})
	same := joinUser(t, n2, "1012", sfutest.Options{})
	relay := joinUser(t, n3, "1003", sfutest.Options{})
	listeners := []*roomUser{same, host, relay}
	onsets := make([]*onsetWatch, len(listeners))
	for i, l := range listeners {
		onsets[i] = &onsetWatch{freq: 800}
		l.client.OnAudio(onsets[i].frame)
		l.client.Silent.Store(true)
		l.client.Level.Store(127)
		if err := l.client.StartTone(300, 8000); err != nil {
			t.Fatal(err)
		}
	}
	talker.client.Silent.Store(true)
	talker.client.Level.Store(127)
	if err := talker.client.StartTone(800, 8000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "four members on every node", func() bool { return roomSize(t, n1) == 4 && roomSize(t, n3) == 4 })
	delays := make([][]time.Duration, len(listeners))
	for range 10 {
		time.Sleep(time.Second)
		for _, o := range onsets {
			o.arm()
		}
		start := time.Now()
		talker.client.Level.Store(20)
		talker.client.Silent.Store(false)
		waitFor(t, 3*time.Second, "the tone at every listener", func() bool {
			return !slices.ContainsFunc(onsets, func(o *onsetWatch) bool { return o.at().IsZero() })
		})
		for i, o := range onsets {
			delays[i] = append(delays[i], o.at().Sub(start))
		}
		talker.client.Silent.Store(true)
		talker.client.Level.Store(127)
	}
	for i, name := range []string{"same node (n2)", "host (n1, one hop)", "other edge (n3, via the host)"} {
		t.Logf("mouth-to-ear, talker on edge n2 → listener on %s: %s", name, spreadOf(delays[i]))
	}
}

// onsetWatch notes the first decoded frame carrying freq after arm.
type onsetWatch struct {
	freq  float64
	mu    sync.Mutex
	armed bool
	first time.Time
}

func (o *onsetWatch) arm() {
	o.mu.Lock()
	o.armed, o.first = true, time.Time{}
	o.mu.Unlock()
}

func (o *onsetWatch) frame(pcm []int16) {
	if sfutest.ToneDB(pcm, o.freq) < -40 {
		return
	}
	o.mu.Lock()
	if o.armed && o.first.IsZero() {
		o.first = time.Now()
	}
	o.mu.Unlock()
}

func (o *onsetWatch) at() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.first
}

// spreadOf is "median (min–max)" of ds.
func spreadOf(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("median %s (%s–%s)", r(s[len(s)/2]), r(s[0]), r(s[len(s)-1]))
}
