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
	On      bool   `json:"on,omitempty"`      // hold
	Consult string `json:"consult,omitempty"` // attended transfer: the consultation call
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
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message,omitempty"`
}

type answerMsg struct {
	Type string `json:"type"`
	Call string `json:"call"`
	SDP  string `json:"sdp"`
}

type incomingMsg struct {
	Type     string `json:"type"`
	Call     string `json:"call"`
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Video    bool   `json:"video"`
}

type errorMsg struct {
	Type    string `json:"type"`
	Req     string `json:"req,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

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
