package web

import (
	"errors"
	"strings"

	"xphone/sfu"
)

// In-call messages: DTMF, hold and transfer; see docs/signaling.md.
type dtmfMsg struct {
	Type  string `json:"type"`
	Call  string `json:"call"`
	Digit string `json:"digit"`
}

type holdStateMsg struct {
	Type   string `json:"type"`
	Call   string `json:"call"`
	Local  bool   `json:"local"`
	Remote bool   `json:"remote"`
}

// HoldState implements sfu.HoldObserver.
func (t *tab) HoldState(callID string, local, remote bool) {
	t.sendCall(callID, "hold-state", encode(holdStateMsg{Type: "hold-state", Call: callID, Local: local, Remote: remote}))
}

// Transferring implements sfu.TransferObserver: this tab's party is being
// put through to another number by someone.
func (t *tab) Transferring(callID, to string, by sfu.Identity) {
	t.sendCall(callID, "call-state", encode(callStateMsg{Type: "call-state", Call: callID, State: "transferring", Peer: to,
		By: by.Number, ByName: by.Name}))
}

type peerCameraMsg struct {
	Type string `json:"type"` // peer-camera
	Call string `json:"call"`
	On   bool   `json:"on"`
}

// PeerCamera implements sfu.CameraObserver: the other party turned its
// camera off or on.
func (t *tab) PeerCamera(callID string, on bool) {
	t.sendCall(callID, "peer-camera", encode(peerCameraMsg{Type: "peer-camera", Call: callID, On: on}))
}

// camera tells the other party of a 1:1 call whether this party's camera is on.
func (t *tab) camera(m inMsg) {
	leg := t.legOf(m.Call)
	if leg == nil {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return
	}
	if rl, ok := leg.(*remoteLeg); ok {
		if why, err := rl.request(m); err != nil {
			t.sendRefused(m.Req, why, "cannot tell the camera state: "+err.Error())
		}
		return
	}
	if err := t.srv.calls.SetCamera(m.Call, leg, m.On); err != nil && !errors.Is(err, sfu.ErrInConference) {
		t.sendRefused(m.Req, refusalOf(err), "cannot tell the camera state: "+err.Error())
	}
}

// legOf returns the leg this tab has in call id.
func (t *tab) legOf(id string) sfu.Leg {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tc := t.calls[id]; tc != nil {
		return tc.leg
	}
	return nil
}

func (t *tab) hold(m inMsg) {
	leg := t.legOf(m.Call)
	if leg == nil {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return
	}
	if rl, ok := leg.(*remoteLeg); ok {
		if why, err := rl.request(m); err != nil {
			t.sendRefused(m.Req, why, "cannot hold: "+err.Error())
		}
		return
	}
	if err := t.srv.calls.Hold(m.Call, leg, m.On); err != nil {
		t.sendRefused(m.Req, refusalOf(err), "cannot hold: "+err.Error())
	}
}

// transfer is blind (to a number) or attended (joining this call's party
// with the party of this tab's other call, m.Consult).
func (t *tab) transfer(m inMsg) {
	leg := t.legOf(m.Call)
	if leg == nil {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return
	}
	var err error
	if _, remote := leg.(*remoteLeg); remote {
		t.sendRefused(m.Req, refusedAcrossNodes, "cannot transfer: "+ErrAcrossNodes.Error())
		return
	}
	if m.Consult != "" {
		other := t.legOf(m.Consult)
		if other == nil {
			t.sendError(m.Req, codeUnknownCall, "no such consultation call")
			return
		}
		err = t.srv.calls.CompleteTransfer(m.Call, leg, m.Consult, other)
	} else {
		to := strings.TrimSpace(m.To)
		if !t.mayDial(to) {
			err = sfu.ErrForbidden
		} else {
			err = t.srv.calls.Transfer(m.Call, leg, to)
		}
	}
	if errors.Is(err, sfu.ErrForbidden) {
		t.srv.security.Warn("security: transfer refused", "remote", t.remote, "ext", t.ext.Number, "to", m.To)
	}
	if err != nil {
		t.sendRefused(m.Req, refusalOf(err), "cannot transfer: "+err.Error())
	}
}

// mayDial is the permission check shared by dialling and transfers. Every
// extension may reach internal numbers; the SIP trunk adds dial-plan
// classes for outside numbers.
func (t *tab) mayDial(number string) bool {
	return number != "" && len(number) <= 32 && !strings.ContainsAny(number, " \t\r\n")
}

// refusalOf is the code the UI shows for a refused hold or transfer.
func refusalOf(err error) refusal {
	switch {
	case errors.Is(err, sfu.ErrNotInCall):
		return refusedNotConnected
	case errors.Is(err, sfu.ErrInConference):
		return refusedInConference
	case errors.Is(err, ErrAcrossNodes):
		return refusedAcrossNodes
	}
	return refusal(sfu.ReasonFor(err))
}
