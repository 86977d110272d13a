package engine

import "fmt"

// hostPriority is RFC 8445's priority of a host candidate of component 1
// with the highest local preference: (126<<24) | (65535<<8) | 255.
const hostPriority = 2130706431

// Local is what the engine puts in an SDP answer for one peer.
type Local struct {
	Ufrag, Pwd  string
	Fingerprint string // a=fingerprint value: "sha-256 AB:CD:…"
	Setup       string // a=setup value: "passive" (RoleServer) or "active"
	// Candidates are a=candidate values (without "candidate:"), one host
	// candidate per public address. The engine is ICE-lite: the answer
	// carries a=ice-lite at session level.
	Candidates []string
}

// Local returns the answer parameters of p.
func (p *Peer) Local() Local {
	e := p.e
	c := p.creds.Load()
	l := Local{Ufrag: c.localUfrag, Pwd: c.localPwd,
		Fingerprint: "sha-256 " + e.fingerprint, Setup: "passive"}
	if p.cfg.Role == RoleClient {
		l.Setup = "active"
	}
	addrs := e.cfg.PublicAddrs
	if len(addrs) == 0 {
		addrs = append(addrs, e.local.Addr())
	}
	for i, a := range addrs {
		l.Candidates = append(l.Candidates, fmt.Sprintf("%d 1 udp %d %s %d typ host",
			i+1, hostPriority, a.Unmap(), e.local.Port()))
	}
	return l
}
