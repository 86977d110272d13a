package web

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"xphone/cluster"
	"xphone/sfu"
)

// Calls across nodes (issue #18, docs/cluster.md): a caller's node that
// holds no tab of the callee looks the extension up in the cluster
// directory and rings it on its home node over the bus. The call and its
// media stay on the caller's node, the anchor: the callee's tab sends its
// SDP offer through its home node to the anchor, whose media API makes
// the leg, so the answer carries the anchor's media address. The home
// node keeps a stand-in leg (remoteLeg) in the tab; the end of the call,
// the peer's hold, camera and keys, and server offers travel between the
// two over the bus.

// Bus methods of calls across nodes; every body is JSON.
const (
	mRing   = "xcall.ring"   // anchor → home: ring these tabs (xRing)
	mCancel = "xcall.cancel" // anchor → home: stop ringing (xEnd)
	mResult = "xcall.result" // home → anchor: declined, unavailable… (xEnd)
	mAnswer = "xcall.answer" // home → anchor: a tab accepted with this offer (xAnswer → xAnswered)
	mHangup = "xcall.hangup" // home → anchor: the callee hung up (xEnd)
	mEnded  = "xcall.ended"  // anchor → home: the callee's leg ended (xEnd)
	mMsg    = "xcall.msg"    // anchor → home: a message for the callee's tab (xMsg)
	mReq    = "xcall.req"    // home → anchor: an in-call request of the callee's tab (xReq)
)

// busTimeout bounds one request of call signalling between nodes.
const busTimeout = 3 * time.Second

// ErrAcrossNodes: a request the anchor of a call across nodes does not
// carry out for the callee's tab (a blind transfer).
var ErrAcrossNodes = errors.New("web: not available in a call across nodes")

type xRing struct {
	Call     string `json:"call"`
	From     string `json:"from"`
	FromName string `json:"from_name,omitempty"`
	To       string `json:"to"`
	Video    bool   `json:"video,omitempty"`
	By       string `json:"by,omitempty"`
	ByName   string `json:"by_name,omitempty"`
}

type xEnd struct {
	Call   string     `json:"call"`
	Reason sfu.Reason `json:"reason"`
}

type xAnswer struct {
	Call   string `json:"call"`
	Number string `json:"number"`
	Name   string `json:"name,omitempty"`
	Offer  string `json:"offer"`
}

type xAnswered struct {
	SDP string `json:"sdp"`
	Leg string `json:"leg"`
}

type xMsg struct {
	Call      string          `json:"call"`
	Kind      string          `json:"kind"` // "" for a message not kept for a resume (offer, dtmf)
	Msg       json.RawMessage `json:"msg"`
	Connected bool            `json:"connected,omitempty"` // a placed call connected
}

type xReq struct {
	Call string `json:"call"`
	Type string `json:"type"` // hold, camera, answer, ice-restart
	On   bool   `json:"on,omitempty"`
	SDP  string `json:"sdp,omitempty"`
}

// reasonErr is a refusal that crosses the bus: its text is the reason
// code, which the other node turns back into an error.
type reasonErr sfu.Reason

func (e reasonErr) Error() string { return string(e) }

// dialErrors are the errors a ring on another node can end with.
var dialErrors = []error{sfu.ErrBusy, sfu.ErrDeclined, sfu.ErrNotFound, sfu.ErrUnavailable, sfu.ErrDoNotDisturb,
	sfu.ErrNoAnswer, sfu.ErrCancelled, sfu.ErrNoMedia, sfu.ErrForbidden}

// errOfReason is the error whose reason is r; a node that died or a
// reason this node does not know read as unavailable.
func errOfReason(r sfu.Reason) error {
	for _, e := range dialErrors {
		if sfu.ReasonFor(e) == r {
			return e
		}
	}
	return sfu.ErrUnavailable
}

// remoteReason is the reason a failed bus request stands for.
func remoteReason(err error) sfu.Reason {
	var re *cluster.RemoteError
	if errors.As(err, &re) {
		return sfu.Reason(re.Msg)
	}
	return sfu.ReasonUnavailable
}

// xcalls is a registry's share of calls across nodes.
type xcalls struct {
	c     cluster.Cluster
	calls *sfu.Calls          // call control, for the callee's in-call requests
	dnd   func(string) bool   // this node's do-not-disturb
	stop  chan struct{}       // closed by Close
	wg    sync.WaitGroup      // ring reporters and leg watchers
	stops []func()            // node watch
	mu    sync.Mutex          // guards the maps
	outs  map[string]*xout    // anchor: calls ringing on other nodes
	legs  map[string]*xlegEnd // anchor: callee legs of tabs on other nodes
	homes map[string]*xhome   // home: calls of this node's tabs anchored elsewhere
}

// UseCluster lets the registry ring extensions homed on other nodes and
// serve calls anchored elsewhere: handlers go on c's bus, calls takes the
// in-call requests of remote callees, dnd is this node's do-not-disturb.
// Call it once, before serving.
func (r *Registry) UseCluster(c cluster.Cluster, calls *sfu.Calls, dnd func(string) bool) {
	x := &xcalls{c: c, calls: calls, dnd: dnd, stop: make(chan struct{}), outs: map[string]*xout{},
		legs: map[string]*xlegEnd{}, homes: map[string]*xhome{}}
	r.x = x
	handlers := map[string]cluster.Handler{mRing: r.onRing, mCancel: r.onCancel, mResult: r.onResult, mAnswer: r.onAnswer,
		mHangup: r.onHangup, mEnded: r.onEnded, mMsg: r.onMsg, mReq: r.onReq, mPlace: r.onPlace}
	for m, h := range handlers {
		c.Handle(m, h)
	}
	x.stops = append(x.stops, c.WatchNodes(func(e cluster.NodeEvent) {
		if !e.Alive && e.Node.ID != c.Self() {
			r.nodeDied(e.Node.ID)
		}
	}))
}

// Close stops the goroutines of calls across nodes and waits for them.
func (r *Registry) Close() {
	if r.x == nil {
		return
	}
	for _, s := range r.x.stops {
		s()
	}
	close(r.x.stop)
	r.x.wg.Wait()
}

// send makes a bus request with a JSON body and decodes the reply into out
// (nil: none wanted).
func (x *xcalls) send(ctx context.Context, node, method string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	reply, err := x.c.Call(ctx, node, method, data)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(reply, out)
}

// tell is send without a reply, for news the other node may miss (it is
// dead, or the call is gone there): the outcome does not change ours.
func (x *xcalls) tell(node, method string, body any) {
	_ = x.send(context.Background(), node, method, body, nil)
}

// nodeDied ends what this node shares with a dead node: its rings of our
// callers fail as unavailable, legs it signalled for end, and calls of our
// tabs anchored on it end, all with connection_lost.
func (r *Registry) nodeDied(node string) {
	x := r.x
	x.mu.Lock()
	var outs []*xout
	var legs []*xlegEnd
	var homes []*xhome
	for _, o := range x.outs {
		if slices.Contains(o.nodes, node) {
			outs = append(outs, o)
		}
	}
	for _, l := range x.legs {
		if l.home == node {
			legs = append(legs, l)
		}
	}
	for _, h := range x.homes {
		if h.anchor == node {
			homes = append(homes, h)
		}
	}
	x.mu.Unlock()
	for _, o := range outs {
		o.fail(node, sfu.ErrUnavailable)
	}
	for _, l := range legs {
		_ = l.leg.Hangup(context.Background(), sfu.ReasonConnectionLost)
	}
	for _, h := range homes {
		h.anchorGone(sfu.ReasonConnectionLost)
	}
}
