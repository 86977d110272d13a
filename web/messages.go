package web

import (
	"encoding/json"

	"xphone/sfu"
)

// protocolVersion is sent in hello; see docs/signaling.md.
const protocolVersion = 1

// inMsg is any client → server message; unused fields stay empty.
type inMsg struct {
	Type    string `json:"type"`
	Req     string `json:"req,omitempty"`
	Call    string `json:"call,omitempty"`
	To      string `json:"to,omitempty"`
	Video   bool   `json:"video,omitempty"`
	SDP     string `json:"sdp,omitempty"`
	PIN     string `json:"pin,omitempty"`
	On      bool   `json:"on,omitempty"`      // hold, dnd, hand, mute, screen, moderate, record
	ID      int64  `json:"id,omitempty"`      // history-seen: the newest entry seen
	Consult string `json:"consult,omitempty"` // attended transfer: the consultation call
	Text    string `json:"text,omitempty"`    // chat
	Action  string `json:"action,omitempty"`  // moderate: mute, remove, lock, lower_hand
	Member  string `json:"member,omitempty"`  // moderate: whom
}

// callStateMsg reports a call's progress to one tab.
type callStateMsg struct {
	Type     string `json:"type"`
	Call     string `json:"call"`
	State    string `json:"state"`
	Req      string `json:"req,omitempty"`
	Peer     string `json:"peer,omitempty"`
	PeerName string `json:"peer_name,omitempty"`
	Video    bool   `json:"video,omitempty"`
	Since    int64  `json:"since,omitempty"`
	Reason   string `json:"reason,omitempty"` // a reason code (sfu.Reason) the UI translates
	// By and ByName: who transferred this party (state transferring).
	By     string `json:"by,omitempty"`
	ByName string `json:"by_name,omitempty"`
}

type answerMsg struct {
	Type     string          `json:"type"`
	Call     string          `json:"call"`
	SDP      string          `json:"sdp"`
	Unusable []unusableMedia `json:"unusable,omitempty"`
}

// unusableMedia is media of the tab's offer the server could not use
// (docs/signaling.md, "answer"): the UI tells its user why.
type unusableMedia struct {
	Kind    string   `json:"kind"`   // "audio" or "video"
	Reason  string   `json:"reason"` // "codec" or "layers"
	Message string   `json:"message"`
	Want    string   `json:"want,omitempty"`    // the codec the server forwards (codec)
	Offered []string `json:"offered,omitempty"` // the codecs the browser offered (codec)
}

// answerFor builds the answer message for a tab's leg, with what of its
// offer could not be used.
func answerFor(call string, leg sfu.Leg, sdp string) answerMsg {
	m := answerMsg{Type: "answer", Call: call, SDP: sdp}
	if l, ok := leg.(interface{ MediaProblems() []sfu.MediaProblem }); ok {
		for _, p := range l.MediaProblems() {
			m.Unusable = append(m.Unusable, unusableMedia{Kind: p.Kind.String(), Reason: p.Reason, Message: p.Message,
				Want: p.Want, Offered: p.Offered})
		}
	}
	return m
}

type incomingMsg struct {
	Type     string `json:"type"`
	Call     string `json:"call"`
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Video    bool   `json:"video"`
	By       string `json:"by,omitempty"` // who transferred the caller here (blind transfer)
	ByName   string `json:"by_name,omitempty"`
}

type errorMsg struct {
	Type    string `json:"type"`
	Req     string `json:"req,omitempty"`
	Code    string `json:"code"`
	Reason  string `json:"reason,omitempty"` // why: a refusal (not_allowed) or a negotiation failure (bad_request) the UI translates
	Message string `json:"message"`          // for developers; the UI shows code and reason
}

// refusal says why a request was refused (error code not_allowed): one of
// the codes below, or a call-end reason code (sfu.Reason).
type refusal string

// Refusals that are not call-end reasons.
const (
	refusedNotConnected refusal = "not_connected" // hold or transfer of a call that is not connected
	refusedInConference refusal = "in_conference" // hold or transfer in a conference room
	refusedStoreDown    refusal = "store_down"    // a setting could not be kept (do-not-disturb)
	refusedAcrossNodes  refusal = "across_nodes"  // a blind transfer by the callee of a call across nodes
)

// Error codes of errorMsg.
const (
	codeBadRequest  = "bad_request"
	codeUnknownCall = "unknown_call"
	codeBusyHere    = "busy_here"
	codeNotAllowed  = "not_allowed"
	codeLimit       = "limit_reached" // a per-extension cap (docs/security.md)
)

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // only our own structs are encoded; they always marshal
		return []byte(`{"type":"error","code":"bad_request","message":"encode failed"}`)
	}
	return b
}

// presenceMsg tells a tab the presence of watched PBX phones: the whole
// list after hello, then each change.
type presenceMsg struct {
	Type    string         `json:"type"` // presence
	Numbers []sfu.Presence `json:"numbers"`
}
