package configs

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Permission classes of extensions and dial rules, from least to most
// privileged.
var permissionClasses = []string{"internal", "local", "national", "international"}

// Enumerations accepted in trunk settings; the first is the default.
var (
	trunkTransports = []string{"udp", "tcp", "tls"}
	trunkMedia      = []string{"dtls-srtp", "sdes", "rtp"}
	trunkICE        = []string{"auto", "on", "off"}
	trunkCodecs     = []string{"pcmu", "pcma", "opus"}
	trunkDTMF       = []string{"rfc4733", "info"}
)

// validateBridges checks the rooms' PBX bridges against the trunks.
func validateBridges(ps *problems, rooms []Room, trunks []Trunk) {
	for i, r := range rooms {
		b := r.Bridge
		if b == nil {
			continue
		}
		at := fmt.Sprintf("rooms[%d].bridge", i)
		if !slices.ContainsFunc(trunks, func(t Trunk) bool { return t.Name == b.Trunk }) {
			ps.add(at+".trunk", "%q is not a configured trunk", b.Trunk)
		}
		if !isDigits(strings.TrimPrefix(b.Number, "+")) {
			ps.add(at+".number", "%q must be digits, optionally after +", b.Number)
		}
		checkEnum(ps, at+".permission", b.Permission, permissionClasses)
	}
}

// validateTrunks checks trunks, the dial plan and extension permissions.
func validateTrunks(ps *problems, trunks []Trunk, rules []DialRule, exts []Extension) {
	names := map[string]bool{}
	for i, t := range trunks {
		at := fmt.Sprintf("trunks[%d]", i)
		if t.Name == "" {
			ps.add(at+".name", "is required")
		} else if names[t.Name] {
			ps.add(at+".name", "%q is used by another trunk", t.Name)
		}
		names[t.Name] = true
		t.validate(ps, at)
	}
	for i, r := range rules {
		r.validate(ps, fmt.Sprintf("dialplan[%d]", i), names)
	}
	for i, e := range exts {
		if e.Permission != "" && !slices.Contains(permissionClasses, e.Permission) {
			ps.add(fmt.Sprintf("extensions[%d].permission", i), "%q is not one of %s", e.Permission, strings.Join(permissionClasses, ", "))
		}
	}
}

func (t Trunk) validate(ps *problems, at string) {
	if err := checkHostPort(t.Address); err != nil {
		ps.add(at+".address", "%q %v", t.Address, err)
	}
	if t.Listen != "" {
		if err := checkHostPort(t.Listen); err != nil {
			ps.add(at+".listen", "%q %v", t.Listen, err)
		}
	}
	checkEnum(ps, at+".transport", t.Transport, trunkTransports)
	checkEnum(ps, at+".media", t.Media, trunkMedia)
	checkEnum(ps, at+".ice", t.ICE, trunkICE)
	checkEnum(ps, at+".dtmf", t.DTMF, trunkDTMF)
	t.validateDialog(ps, at)
	for j, c := range t.Codecs {
		checkEnum(ps, fmt.Sprintf("%s.codecs[%d]", at, j), strings.ToLower(c), trunkCodecs)
	}
	for j, s := range t.AllowedSources {
		if _, err := netip.ParsePrefix(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				ps.add(fmt.Sprintf("%s.allowed_sources[%d]", at, j), "%q is not an IP address or CIDR", s)
			}
		}
	}
	t.TLS.validate(ps, at+".tls", t.Transport)
	t.RateLimit.validate(ps, at+".rate_limit")
	if t.KeepAlive < 0 {
		ps.add(at+".keep_alive", "must not be negative")
	}
	if r := t.Register; r != nil {
		if r.User == "" {
			ps.add(at+".register.user", "is required when registering")
		}
		if r.Expiry < 0 {
			ps.add(at+".register.expiry", "must not be negative")
		}
	}
	for from, to := range t.Inbound {
		if !isDigits(from) || !isDigits(to) {
			ps.add(at+".inbound", "route %q → %q must map digits to digits", from, to)
		}
	}
	for j, n := range t.Presence {
		if !isDigits(n) {
			ps.add(fmt.Sprintf("%s.presence[%d]", at, j), "%q must be digits (a PBX number)", n)
		}
	}
}

func (r DialRule) validate(ps *problems, at string, trunks map[string]bool) {
	if err := checkPattern(r.Pattern); err != nil {
		ps.add(at+".pattern", "%q %v", r.Pattern, err)
	}
	if !trunks[r.Trunk] {
		ps.add(at+".trunk", "%q is not a configured trunk", r.Trunk)
	}
	if r.Strip < 0 {
		ps.add(at+".strip", "must not be negative")
	}
	if r.Prepend != "" && !isDigits(strings.TrimPrefix(r.Prepend, "+")) {
		ps.add(at+".prepend", "%q must be digits, optionally after +", r.Prepend)
	}
	if r.Permission == "" {
		ps.add(at+".permission", "is required (one of %s)", strings.Join(permissionClasses, ", "))
	} else {
		checkEnum(ps, at+".permission", r.Permission, permissionClasses)
	}
}

// checkPattern accepts digits and X (any digit), optionally after a
// leading +, with an optional trailing "." (any rest, at least one digit).
func checkPattern(p string) error {
	body := strings.TrimSuffix(strings.TrimPrefix(p, "+"), ".")
	if body == "" {
		return fmt.Errorf("is empty; use digits, X for any digit and a trailing . for any rest")
	}
	for _, c := range body {
		if (c < '0' || c > '9') && c != 'X' {
			return fmt.Errorf("has %q; use digits, X for any digit and a trailing . for any rest", c)
		}
	}
	return nil
}

// checkEnum accepts "" (the default) or one of allowed.
// notYet refuses values the design names but this release does not
// implement, so a config never silently asks for what will not happen.
func notYet(ps *problems, at, v string, known []string, implemented ...string) {
	if slices.Contains(known, v) && !slices.Contains(implemented, v) {
		ps.add(at, "%q is not implemented yet (use %s)", v, strings.Join(implemented, " or "))
	}
}

func checkEnum(ps *problems, at, v string, allowed []string) {
	if v != "" && !slices.Contains(allowed, v) {
		ps.add(at, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

// validate checks the TLS block: cert and key come together, and the
// block only makes sense with transport tls.
func (c TrunkTLS) validate(ps *problems, at, transport string) {
	if (c.Cert == "") != (c.Key == "") {
		ps.add(at, "cert and key must be given both or neither")
	}
	if c != (TrunkTLS{}) && transport != "tls" {
		ps.add(at, "is only used with transport: tls")
	}
	if c.InsecureSkipVerify && c.CAFile != "" {
		ps.add(at+".insecure_skip_verify", "contradicts ca_file; use one of them")
	}
}
