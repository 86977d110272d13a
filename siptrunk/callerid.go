package siptrunk

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// CallerID across the trunk. A registering trunk's PBX identifies our
// INVITEs by the From user (Asterisk: the endpoint named like the account),
// so From carries the account and the caller travels in
// P-Asserted-Identity (RFC 3325) when send_pai is on. Inbound, the
// asserted identity the PBX sends wins over From: P-Asserted-Identity,
// then Remote-Party-ID (Asterisk's send_rpid), then From.

// callerID is the From user of outbound calls: caller_id, else the
// registration's account, else the caller's number.
func (t *Trunk) callerID(number string) string {
	if t.cfg.Trunk.CallerID != "" {
		return t.cfg.Trunk.CallerID
	}
	if r := t.cfg.Trunk.Register; r != nil && r.User != "" {
		return r.User
	}
	return number
}

// assertedIdentity is the P-Asserted-Identity header naming caller, or
// nil when the trunk does not send one.
func (t *Trunk) assertedIdentity(caller sfu.Identity) sip.Header {
	if !t.cfg.Trunk.SendPAI || caller.Number == "" {
		return nil
	}
	u := sip.Uri{User: caller.Number, Host: t.peer.Host}
	v := "<" + u.String() + ">"
	if caller.Name != "" {
		v = quoteDisplayName(caller.Name) + " " + v
	}
	return sip.NewHeader("P-Asserted-Identity", v)
}

// quoteDisplayName makes a quoted-string of a display name (RFC 3261 §25.1).
func quoteDisplayName(name string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")
	return `"` + r.Replace(name) + `"`
}

// callerIdentity is who calls in an inbound INVITE: the first of
// P-Asserted-Identity, Remote-Party-ID and From that names a user. A
// caller who withholds the identity (Privacy: id, or an RPID with
// privacy=full) gets From's (anonymous) one: our user is the end of the
// trusted network (RFC 3325 §7).
func callerIdentity(req *sip.Request) sfu.Identity {
	names := []string{"P-Asserted-Identity", "Remote-Party-ID"}
	if withheld(req) {
		names = nil
	}
	for _, name := range names {
		for _, h := range req.GetHeaders(name) {
			if id, ok := parseNameAddr(h.Value()); ok {
				return id
			}
		}
	}
	from := req.From()
	return sfu.Identity{Number: from.Address.User, Name: from.DisplayName}
}

// parseNameAddr reads `"Name" <sip:user@host>;params` (or a bare URI,
// sip:, sips: or tel:) into a number and name.
func parseNameAddr(v string) (sfu.Identity, bool) {
	v = strings.TrimSpace(v)
	name, uri := "", v
	if i := strings.IndexByte(v, '<'); i >= 0 {
		end := strings.IndexByte(v[i:], '>')
		if end < 0 {
			return sfu.Identity{}, false
		}
		name, uri = strings.TrimSpace(v[:i]), v[i+1:i+end]
	} else if j := strings.IndexByte(v, ';'); j >= 0 {
		uri = v[:j]
	}
	name = unquote(name)
	var user string
	switch {
	case strings.HasPrefix(strings.ToLower(uri), "tel:"):
		user, _, _ = strings.Cut(uri[len("tel:"):], ";")
	default:
		var u sip.Uri
		if err := sip.ParseUri(uri, &u); err != nil {
			return sfu.Identity{}, false
		}
		user = u.User
	}
	if user == "" {
		return sfu.Identity{}, false
	}
	return sfu.Identity{Number: user, Name: name}, true
}

// unquote undoes quoteDisplayName; an unquoted token is returned as is.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// withheld reports whether the caller asked to withhold its identity.
func withheld(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Privacy") {
		for _, v := range strings.Split(h.Value(), ";") {
			if strings.EqualFold(strings.TrimSpace(v), "id") {
				return true
			}
		}
	}
	for _, h := range req.GetHeaders("Remote-Party-ID") {
		if strings.Contains(strings.ToLower(h.Value()), "privacy=full") {
			return true
		}
	}
	return false
}
