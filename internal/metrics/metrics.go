// Package metrics exposes Xphone's counters and gauges in the Prometheus
// format. It reads the atomics that the media and web layers keep (pull on
// scrape), so the packet path never calls into Prometheus.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/siptrunk"
	"xphone/web"
)

// Sources are what the collector reads.
type Sources struct {
	Media  *sfu.Stats
	Web    *web.Stats
	Calls  *sfu.Calls
	Rooms  *sfu.Conferences
	Trunks func() []*siptrunk.Trunk // the running trunks (they change on reload); nil: none
	// Cluster is this node's cluster (the in-memory one for a single
	// node); nil: no cluster metrics.
	Cluster cluster.Cluster
	// Draining reports whether the node is draining (xphone_draining);
	// nil: not reported.
	Draining func() bool
}

// Handler returns /metrics for src plus Go runtime and process metrics.
func Handler(src Sources) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{src: src})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("xphone_"+name, help, labels, nil)
}

var (
	callsActive     = desc("calls_active", "1:1 calls ringing or connected.")
	roomsActive     = desc("rooms_active", "Conference rooms with participants.")
	participants    = desc("conference_participants", "People in conference rooms.")
	legsActive      = desc("legs_active", "Media legs by kind.", "kind")
	legsTotal       = desc("legs_total", "Media legs created, by kind.", "kind")
	packetsFwd      = desc("rtp_packets_forwarded_total", "RTP packets sent to legs.")
	bytesFwd        = desc("rtp_bytes_forwarded_total", "RTP payload bytes sent to legs.")
	packetsDropped  = desc("rtp_packets_dropped_total", "RTP packets not sent (waiting for a keyframe, write errors).")
	packetsResent   = desc("rtp_packets_resent_total", "Video packets sent again because a viewer's NACK asked for them.")
	speakerSwitches = desc("speaker_switches_total", "Dominant-speaker changes in conference rooms.")
	layerSwitches   = desc("simulcast_layer_switches_total", "Times a viewer was moved to another simulcast layer.")
	mixTick         = desc("mixer_tick_seconds", "Duration of one 20 ms conference mixer tick.")
	mixCaughtUp     = desc("mixer_frames_caught_up_total", "Mixer frames produced late, in a burst after a late wake-up of a room's loop.")
	mixSkipped      = desc("mixer_frames_skipped_total", "Mixer frames skipped after a stall longer than the catch-up bound (100 ms).")
	logins          = desc("logins_total", "Login attempts by result.", "result")
	tabsOpen        = desc("tabs_open", "Browser tabs connected over WebSocket.")
	webSecurity     = desc("web_security_events_total", "WebSocket and metrics requests refused or closed, by event.", "event")
	limitReached    = desc("limit_reached_total", "Per-extension caps reached, by limit (limits.per_extension).", "limit")
	trunkRegistered = desc("trunk_registered", "1 when the trunk is registered (or is a static peer, or another cluster node registers it).", "trunk")
	sipEvents       = desc("sip_events_total", "SIP events by trunk and kind.", "trunk", "event")
	sipRequests     = desc("sip_requests_total", "SIP requests on the wire by trunk, direction and method.", "trunk", "direction", "method")
	sipResponses    = desc("sip_responses_total", "SIP responses on the wire by trunk, direction and class (1xx…6xx).", "trunk", "direction", "class")
	sipFrontDoor    = desc("sip_frontdoor_total", "SIP the front door refused before the SIP stack, by trunk, source class "+
		"(stranger: not in allowed_sources; peer: allowed) and event.", "trunk", "source", "event")
	draining       = desc("draining", "1 while this node drains: it takes no new calls or rooms and stops when they end (docs/cluster.md).")
	clusterNode    = desc("cluster_node_info", "This node's id in the cluster (1).", "node")
	clusterLive    = desc("cluster_nodes_live", "Live nodes in the cluster, this one included.")
	clusterUp      = desc("cluster_redis_up", "1 while the cluster's Redis is reachable (always 1 for a single node).")
	clusterCalls   = desc("cluster_bus_calls_total", "Requests this node sent over the cluster bus.")
	clusterErrors  = desc("cluster_bus_errors_total", "Bus requests that failed (no node, no handler, remote error, deadline, Redis down).")
	clusterRefused = desc("cluster_unavailable_total", "Cluster operations refused at once while Redis was unreachable.")
)

// collector turns the sources into metrics on every scrape.
type collector struct{ src Sources }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{callsActive, roomsActive, participants, legsActive, legsTotal, packetsFwd,
		bytesFwd, packetsDropped, packetsResent, speakerSwitches, layerSwitches, mixTick, mixCaughtUp, mixSkipped, logins, tabsOpen,
		webSecurity, limitReached, trunkRegistered, sipEvents, sipRequests, sipResponses, sipFrontDoor,
		clusterNode, clusterLive, clusterUp, clusterCalls, clusterErrors, clusterRefused, draining} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rooms := c.src.Rooms.Snapshot(ctx)
	people := 0
	for _, r := range rooms {
		people += len(r.Members)
	}
	m, w := c.src.Media, c.src.Web
	gauge(callsActive, float64(len(c.src.Calls.Snapshot())))
	gauge(roomsActive, float64(len(rooms)))
	gauge(participants, float64(people))
	gauge(legsActive, float64(m.LegsActive.Load()), "browser")
	counter(legsTotal, m.LegsTotal.Load(), "browser")
	counter(packetsFwd, m.PacketsForwarded.Load())
	counter(bytesFwd, m.BytesForwarded.Load())
	counter(packetsDropped, m.PacketsDropped.Load())
	counter(packetsResent, m.PacketsResent.Load())
	counter(speakerSwitches, m.SpeakerSwitches.Load())
	counter(layerSwitches, m.LayerSwitches.Load())
	buckets, count, sum := m.MixTick.Snapshot()
	ch <- prometheus.MustNewConstHistogram(mixTick, count, sum, buckets)
	counter(mixCaughtUp, m.MixCaughtUp.Load())
	counter(mixSkipped, m.MixSkipped.Load())
	counter(logins, w.LoginsOK.Load(), "ok")
	counter(logins, w.LoginsFailed.Load(), "failed")
	counter(logins, w.LoginsLocked.Load(), "locked_out")
	gauge(tabsOpen, float64(w.TabsOpen.Load()))
	collectWebGuards(w, counter)
	if c.src.Draining != nil {
		gauge(draining, bool01(c.src.Draining()))
	}
	if c.src.Cluster != nil {
		collectCluster(ctx, c.src.Cluster, gauge, counter)
	}
	if c.src.Trunks != nil {
		for _, t := range c.src.Trunks() {
			collectTrunk(t, gauge, counter)
			collectWire(t, counter)
		}
	}
}

// collectWebGuards reports the web side's refusals (docs/security.md).
func collectWebGuards(w *web.Stats, counter func(*prometheus.Desc, uint64, ...string)) {
	counter(webSecurity, w.WSOriginRefused.Load(), "websocket_origin_refused")
	counter(webSecurity, w.WSRateLimited.Load(), "websocket_rate_limited")
	counter(webSecurity, w.WSTooBig.Load(), "websocket_message_too_big")
	counter(webSecurity, w.MetricsRefused.Load(), "metrics_token_refused")
	counter(limitReached, w.LimitTabs.Load(), "tabs")
	counter(limitReached, w.LimitCalls.Load(), "calls")
	counter(limitReached, w.LimitSessions.Load(), "sessions")
}

func collectTrunk(t *siptrunk.Trunk, gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	registered, _, _ := t.Status()
	_, standby := t.LeaseHolder() // another node of the cluster registers it
	up := 0.0
	if registered || !t.Registers() || standby {
		up = 1
	}
	gauge(trunkRegistered, up, t.Name())
	st := &t.Stats
	for _, e := range []struct {
		name string
		v    uint64
	}{
		{"invite_sent", st.Invites.Load()}, {"inbound_call", st.Inbound.Load()}, {"reinvite", st.ReInvites.Load()},
		{"bad_request", st.BadRequests.Load()}, {"dropped_source", st.DroppedSources.Load()}, {"handler_panic", st.Panics.Load()},
		{"toll_refused", st.TollRefused.Load()}, {"refer_refused", st.RefersRefused.Load()}, {"stray_response", st.StrayResponses.Load()},
	} {
		counter(sipEvents, e.v, t.Name(), e.name)
	}
	counter(sipFrontDoor, st.DroppedSources.Load(), t.Name(), "stranger", "dropped")
	counter(sipFrontDoor, st.PeerParseErrors.Load(), t.Name(), "peer", "parse_error")
	counter(sipFrontDoor, st.PeerRateLimited.Load(), t.Name(), "peer", "rate_limited")
	counter(sipFrontDoor, st.CallsLimited.Load(), t.Name(), "peer", "calls_limited")
}

// collectWire reports the trunk's SIP message counters.
func collectWire(t *siptrunk.Trunk, counter func(*prometheus.Desc, uint64, ...string)) {
	w := &t.Wire
	for i, m := range siptrunk.Methods() {
		counter(sipRequests, w.ReqIn[i].Load(), t.Name(), "in", m)
		counter(sipRequests, w.ReqOut[i].Load(), t.Name(), "out", m)
	}
	for i := range w.ResIn {
		class := strconv.Itoa(i+1) + "xx"
		counter(sipResponses, w.ResIn[i].Load(), t.Name(), "in", class)
		counter(sipResponses, w.ResOut[i].Load(), t.Name(), "out", class)
	}
}

// collectCluster reports the node, the live nodes (one Redis read; left
// out while Redis is unreachable) and the bus counters.
func collectCluster(ctx context.Context, cl cluster.Cluster, gauge func(*prometheus.Desc, float64, ...string),
	counter func(*prometheus.Desc, uint64, ...string)) {
	gauge(clusterNode, 1, cl.Self())
	up := 0.0
	if cl.Healthy() {
		up = 1
		if nodes, err := cl.Nodes(ctx); err == nil {
			gauge(clusterLive, float64(len(nodes)))
		}
	}
	gauge(clusterUp, up)
	st := cl.Stats()
	counter(clusterCalls, st.Calls)
	counter(clusterErrors, st.CallErrors)
	counter(clusterRefused, st.Unavailable)
}

// bool01 is a boolean gauge's value.
func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
