package web

import (
	"context"
	"encoding/json"
	"errors"

	"xphone/sfu"
)

// Calls a tab places on another node (docs/cluster.md, "Trunk calls across
// nodes"): a trunk with dial_from_registered_contact must send its INVITEs
// from the node holding its registration, so a tab on any other node has
// its call anchored there. The caller's node hands the tab's SDP offer to
// the anchor (xcall.place), which makes the caller's leg on its media and
// places the call as if the tab were its own; the tab keeps a stand-in leg
// (remoteLeg), exactly as a callee's tab does for a call anchored
// elsewhere, and the anchor relays the call's progress, its end and the
// in-call messages with the same methods (xcall.msg, xcall.ended,
// xcall.req, xcall.hangup).

// mPlace: caller's node → anchor: place this tab's call there (xPlace →
// xAnswered).
const mPlace = "xcall.place"

type xPlace struct {
	Call   string `json:"call"`
	Number string `json:"number"` // the caller's extension
	Name   string `json:"name,omitempty"`
	To     string `json:"to"`
	Video  bool   `json:"video,omitempty"`
	PIN    string `json:"pin,omitempty"`
	Offer  string `json:"offer"`
}

// dialNode is the node a call from this node's tab to number must be
// anchored on, "" for this node.
func (s *Server) dialNode(number string) string {
	if s.dialNodeOf == nil || s.registry.x == nil {
		return ""
	}
	return s.dialNodeOf(number)
}

// dialOn places the tab's call to `to` on node: the tab is shown the call
// as usual (dialing, the anchor's answer, progress), its media goes to
// node. The caller holds a call place and a leg place (released here on
// failure, by watch otherwise).
func (t *tab) dialOn(m inMsg, to, node string) {
	id := sfu.NewID("call")
	leg, answer, err := t.srv.registry.placeOn(t, node, xPlace{Call: id, Number: t.ext.Number, Name: t.ext.Name, To: to,
		Video: m.Video, PIN: m.PIN, Offer: m.SDP})
	if err != nil {
		t.srv.releaseLeg(t.ext.Number)
		t.log.Warn("place call on another node", "node", node, "err", err)
		t.send(encode(callStateMsg{Type: "call-state", Call: id, State: "dialing", Req: m.Req, Peer: to}))
		t.sendEnded(id, sfu.ReasonFor(err))
		return
	}
	if !t.showOutgoing(id, leg, m.Req, to, answer) {
		return
	}
	leg.h.release() // progress the anchor sent meanwhile, then the rest as it comes
	t.watch(id, leg)
}

// placeOn asks node to place the call p of tab t and returns the tab's
// stand-in leg with the anchor's SDP answer. The call is known here before
// the request goes out, so an end or progress the anchor sends before its
// reply is not lost.
func (r *Registry) placeOn(t *tab, node string, p xPlace) (*remoteLeg, string, error) {
	h := &xhome{anchor: node, call: p.Call, ext: t.ext.Number, stopped: make(chan struct{})}
	l := newRemoteLeg(r, h, t, "")
	h.leg = l
	r.x.mu.Lock()
	r.x.homes[p.Call] = h
	r.x.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, negotiateTimeout)
	defer cancel()
	var out xAnswered
	if err := r.x.send(ctx, node, mPlace, p, &out); err != nil {
		l.end(sfu.ReasonUnavailable)
		r.x.tell(node, mHangup, xEnd{Call: p.Call, Reason: sfu.ReasonCancelled}) // in case it made the leg after all
		return nil, "", errors.Join(errOfReason(remoteReason(err)), err)
	}
	l.id = out.Leg // read only by the tab, after this returns
	return l, out.SDP, nil
}

// onPlace makes the leg of another node's tab placing a call here, on this
// node's media, and places the call as this node's own tab would; the
// reply is the SDP answer. A call that fails at once ends the leg with its
// reason, which reaches the tab as xcall.ended, as on one node.
func (r *Registry) onPlace(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xPlace
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if r.x.calls == nil {
		return nil, reasonErr(sfu.ReasonUnavailable)
	}
	leg, sdp, err := r.media.NewWebRTCLeg(ctx, sfu.Identity{Number: m.Number, Name: m.Name}, m.Offer)
	if err != nil {
		return nil, reasonErr(sfu.ReasonFor(err))
	}
	l := r.anchorLeg(leg, from, m.Call, true)
	req := sfu.PlaceRequest{ID: m.Call, Caller: leg, To: m.To, Video: m.Video, PIN: m.PIN, Observer: l}
	if _, err := r.x.calls.Place(req); err != nil {
		r.log.Warn("place call for another node", "node", from, "call", m.Call, "err", err)
		_ = leg.Hangup(context.Background(), sfu.ReasonFor(err))
	}
	return json.Marshal(xAnswered{SDP: sdp, Leg: leg.ID()})
}
