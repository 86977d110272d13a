package web

import "xphone/sfu"

// Messages of conference calls; see docs/signaling.md.
type conferenceMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	Room string `json:"room"`
	Name string `json:"name"`
	Mode string `json:"mode"`
	Self string `json:"self"`
}

type rosterMsg struct {
	Type    string       `json:"type"`
	Call    string       `json:"call"`
	Members []sfu.Member `json:"members"`
}

type speakersMsg struct {
	Type     string   `json:"type"`
	Call     string   `json:"call"`
	Dominant string   `json:"dominant"`
	Speaking []string `json:"speaking"`
}

type slotsMsg struct {
	Type  string     `json:"type"`
	Call  string     `json:"call"`
	Slots []sfu.Slot `json:"slots"`
}

type offerMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	SDP  string `json:"sdp"`
}

// Joined implements sfu.ConferenceObserver.
func (t *tab) Joined(callID string, room sfu.RoomSpec, self string) {
	t.sendCall(callID, "conference", encode(conferenceMsg{Type: "conference", Call: callID, Room: room.Number, Name: room.Name, Mode: string(room.Video), Self: self}))
}

// Roster implements sfu.ConferenceObserver.
func (t *tab) Roster(callID string, members []sfu.Member) {
	t.sendCall(callID, "roster", encode(rosterMsg{Type: "roster", Call: callID, Members: members}))
}

// Speakers implements sfu.ConferenceObserver.
func (t *tab) Speakers(callID, dominant string, speaking []string) {
	if speaking == nil {
		speaking = []string{}
	}
	t.sendCall(callID, "speakers", encode(speakersMsg{Type: "speakers", Call: callID, Dominant: dominant, Speaking: speaking}))
}

// VideoSlots implements sfu.ConferenceObserver.
func (t *tab) VideoSlots(callID string, slots []sfu.Slot) {
	t.sendCall(callID, "video-slots", encode(slotsMsg{Type: "video-slots", Call: callID, Slots: slots}))
}

// offerHandler carries a leg's server-initiated offers to this tab.
func (t *tab) offerHandler(callID string) func(string) {
	return func(sdp string) { t.send(encode(offerMsg{Type: "offer", Call: callID, SDP: sdp})) }
}

// answer completes a server-initiated renegotiation of one of the tab's legs.
func (t *tab) answer(m inMsg) {
	t.mu.Lock()
	tc := t.calls[m.Call]
	t.mu.Unlock()
	if tc == nil {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return
	}
	if rl, ok := tc.leg.(*remoteLeg); ok && m.SDP != "" {
		if _, err := rl.request(m); err != nil {
			t.sendError(m.Req, codeBadRequest, "could not apply answer: "+err.Error())
		}
		return
	}
	leg, ok := tc.leg.(*sfu.WebRTCLeg)
	if !ok || m.SDP == "" {
		t.sendError(m.Req, codeBadRequest, "this call takes no answer")
		return
	}
	if err := leg.ApplyAnswer(m.SDP); err != nil {
		t.sendError(m.Req, codeBadRequest, "could not apply answer: "+err.Error())
	}
}
