package sfu

import (
	"context"
	"slices"
	"strings"
	"time"
)

// LegInfo describes a leg for the admin status page.
type LegInfo struct {
	ID         string   `json:"id"`
	Number     string   `json:"number"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`       // browser, sip
	Codecs     []string `json:"codecs"`     // e.g. opus, VP8
	Encryption string   `json:"encryption"` // e.g. DTLS-SRTP
	Holding    bool     `json:"holding"`
}

// CallInfo is one 1:1 call as the status page shows it.
type CallInfo struct {
	ID      string    `json:"id"`
	State   string    `json:"state"` // ringing, connected
	Since   time.Time `json:"since"`
	Parties []LegInfo `json:"parties"`
}

// RoomInfo is one live conference room.
type RoomInfo struct {
	Number    string   `json:"number"`
	Name      string   `json:"name"`
	Mode      string   `json:"mode"`
	Dominant  string   `json:"dominant"` // member id
	Members   []Member `json:"members"`
	Locked    bool     `json:"locked"`
	Recording bool     `json:"recording"`
}

// Describe implements Describer.
func (l *WebRTCLeg) Describe() LegInfo {
	info := LegInfo{ID: l.id, Number: l.ident.Number, Name: l.ident.Name, Kind: "browser", Encryption: "DTLS-SRTP"}
	for _, u := range l.ups {
		info.Codecs = append(info.Codecs, strings.TrimPrefix(strings.TrimPrefix(u.MimeType(), "audio/"), "video/"))
	}
	return info
}

func describe(l Leg) LegInfo {
	if d, ok := l.(Describer); ok {
		return d.Describe()
	}
	id := l.Identity()
	return LegInfo{ID: l.ID(), Number: id.Number, Name: id.Name}
}

// Snapshot lists the 1:1 calls (conference calls are in the rooms).
func (c *Calls) Snapshot() []CallInfo {
	c.mu.Lock()
	calls := make([]*call, 0, len(c.active))
	for _, cl := range c.active {
		if !cl.conference {
			calls = append(calls, cl)
		}
	}
	c.mu.Unlock()
	out := make([]CallInfo, 0, len(calls))
	for _, cl := range calls {
		out = append(out, cl.info())
	}
	slices.SortFunc(out, func(a, b CallInfo) int { return a.Since.Compare(b.Since) })
	return out
}

// info reads the call's members through the room, which guards them.
func (cl *call) info() CallInfo {
	legs := cl.room.Legs()
	info := CallInfo{ID: cl.id, State: "ringing", Since: cl.started}
	if len(legs) == 2 {
		info.State = "connected"
	}
	for _, l := range legs {
		li := describe(l)
		li.Holding, _ = cl.room.HoldState(l)
		info.Parties = append(info.Parties, li)
	}
	return info
}

// Snapshot lists the live conference rooms with their members.
func (cs *Conferences) Snapshot(ctx context.Context) []RoomInfo {
	cs.mu.Lock()
	live := make([]*Conference, 0, len(cs.live))
	for _, lr := range cs.live {
		live = append(live, lr.conf)
	}
	cs.mu.Unlock()
	out := make([]RoomInfo, 0, len(live))
	for _, conf := range live {
		var info RoomInfo
		err := conf.do(ctx, func() {
			info = RoomInfo{Number: conf.spec.Number, Name: conf.spec.Name, Mode: string(conf.spec.Video),
				Dominant: conf.dominant, Members: conf.roster(), Locked: conf.meeting.locked, Recording: conf.meeting.rec != nil}
		})
		if err == nil {
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b RoomInfo) int { return strings.Compare(a.Number, b.Number) })
	return out
}

// Participants is the number of people in live conference rooms.
func (cs *Conferences) Participants(ctx context.Context) int {
	n := 0
	for _, r := range cs.Snapshot(ctx) {
		n += len(r.Members)
	}
	return n
}
