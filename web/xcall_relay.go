package web

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"xphone/sfu"
)

// relayQueue bounds the messages for a remote callee's tab waiting for
// the bus; beyond it they are dropped (the tab's resume shows the state).
const relayQueue = 32

// xlegEnd is, on the anchor, the leg of a callee whose tab is on another
// node (home): what call control tells that leg's party goes there as tab
// messages, in order, and its end as mEnded.
type xlegEnd struct {
	leg    *sfu.WebRTCLeg
	home   string
	call   string
	caller bool // the leg placed the call (xcall_place.go): its progress goes to the tab too
	msgs   chan xMsg
}

// anchorLeg wires a remote party's new leg to its home node and watches
// it: a callee's, or (caller) the leg of a call its tab placed here.
func (r *Registry) anchorLeg(leg *sfu.WebRTCLeg, home, call string, caller bool) *xlegEnd {
	l := &xlegEnd{leg: leg, home: home, call: call, caller: caller, msgs: make(chan xMsg, relayQueue)}
	leg.SetOfferHandler(func(sdp string) { l.post("", encode(offerMsg{Type: "offer", Call: call, SDP: sdp})) })
	leg.SetDTMFSink(func(d rune) { l.post("", encode(dtmfMsg{Type: "dtmf", Call: call, Digit: string(d)})) })
	leg.SetObserver(l)
	leg.SetSignalling(true) // the home node keeps the socket; its loss ends the leg through mHangup or the node's death
	r.x.mu.Lock()
	r.x.legs[call] = l
	r.x.mu.Unlock()
	r.x.wg.Add(1)
	go func() {
		defer r.x.wg.Done()
		r.relay(l)
	}()
	return l
}

// relay passes l's messages to the home node until the leg ends, then
// tells it why.
func (r *Registry) relay(l *xlegEnd) {
	for {
		select {
		case m := <-l.msgs:
			r.x.tell(l.home, mMsg, m)
		case <-l.leg.Done():
			r.x.mu.Lock()
			delete(r.x.legs, l.call)
			r.x.mu.Unlock()
			r.x.tell(l.home, mEnded, xEnd{Call: l.call, Reason: l.leg.EndReason()})
			return
		case <-r.x.stop:
			return
		}
	}
}

// post queues a message for the callee's tab; kind "" is not kept for a
// resume. It never blocks (observers must not).
func (l *xlegEnd) post(kind string, msg []byte) {
	select {
	case l.msgs <- xMsg{Call: l.call, Kind: kind, Msg: msg}:
	default:
	}
}

// Ringing implements sfu.CallObserver: a caller's tab hears its call
// rings; a callee is not rung by its own leg.
func (l *xlegEnd) Ringing(callID string) {
	if l.caller {
		l.post("call-state", encode(callStateMsg{Type: "call-state", Call: callID, State: "ringing"}))
	}
}

// Connected implements sfu.CallObserver: a caller's tab hears its call was
// answered; the home node tells a callee itself.
func (l *xlegEnd) Connected(callID string, peer sfu.Identity, video bool, since time.Time) {
	if !l.caller {
		return
	}
	msg := encode(callStateMsg{Type: "call-state", Call: callID, State: "connected", Peer: peer.Number, PeerName: peer.Name,
		Video: video, Since: since.UnixMilli()})
	select {
	case l.msgs <- xMsg{Call: l.call, Kind: "call-state", Msg: msg, Connected: true}:
	default:
	}
}

// HoldState implements sfu.HoldObserver.
func (l *xlegEnd) HoldState(callID string, local, remote bool) {
	l.post("hold-state", encode(holdStateMsg{Type: "hold-state", Call: callID, Local: local, Remote: remote}))
}

// Transferring implements sfu.TransferObserver.
func (l *xlegEnd) Transferring(callID, to string, by sfu.Identity) {
	l.post("call-state", encode(callStateMsg{Type: "call-state", Call: callID, State: "transferring", Peer: to,
		By: by.Number, ByName: by.Name}))
}

// PeerCamera implements sfu.CameraObserver.
func (l *xlegEnd) PeerCamera(callID string, on bool) {
	l.post("peer-camera", encode(peerCameraMsg{Type: "peer-camera", Call: callID, On: on}))
}

func (r *Registry) anchored(call, from string) *xlegEnd {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	if l := r.x.legs[call]; l != nil && l.home == from {
		return l
	}
	return nil
}

// onHangup ends the leg of a remote callee who hung up (or whose tab closed).
func (r *Registry) onHangup(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xEnd
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if l := r.anchored(m.Call, from); l != nil {
		_ = l.leg.Hangup(ctx, m.Reason)
	}
	return nil, nil
}

// onReq carries out an in-call request of a remote callee's tab on its
// leg here; a refusal goes back as the code the tab shows.
func (r *Registry) onReq(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xReq
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	l := r.anchored(m.Call, from)
	if l == nil {
		return nil, reasonErr(refusedNotConnected)
	}
	if r.x.calls == nil && (m.Type == "hold" || m.Type == "camera") {
		return nil, reasonErr(refusalOf(ErrAcrossNodes)) // no call control given (tests)
	}
	var err error
	switch m.Type {
	case "hold":
		err = r.x.calls.Hold(m.Call, l.leg, m.On)
	case "camera":
		if err = r.x.calls.SetCamera(m.Call, l.leg, m.On); errors.Is(err, sfu.ErrInConference) {
			err = nil
		}
	case "answer":
		err = l.leg.ApplyAnswer(m.SDP)
	case "ice-restart":
		err = l.leg.RestartICE()
	default:
		err = ErrAcrossNodes
	}
	if err != nil {
		return nil, reasonErr(refusalOf(err))
	}
	return nil, nil
}
