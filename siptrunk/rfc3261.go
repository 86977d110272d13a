package siptrunk

import (
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Request inspection of a UAS (RFC 3261 §8.2, in its order), answered as
// RFC 4475 expects: what the parser could not read never gets here (the
// front door answers it).

// servedMethods have handlers; allowHeader lists them for 405s.
var servedMethods = []string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE", "REFER", "NOTIFY"}

const allowHeader = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, NOTIFY"

// knownMethods are recognised but not served: 405, not 501.
var knownMethods = []string{"REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE", "PRACK"}

// supportedOptions are the option tags we implement (Require, Supported).
var supportedOptions = []string{"timer"}

// singleHeaders may appear once (RFC 3261 §7.3.1: not comma lists).
var singleHeaders = []string{"To", "From", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// bodyTypes are the Content-Types we read per method; a body of another
// type is answered 415 (§8.2.3). Methods not listed ignore bodies.
var bodyTypes = map[string][]string{
	"INVITE": {"application/sdp"},
	"UPDATE": {"application/sdp"},
	"INFO":   {"application/dtmf-relay", "application/dtmf"},
	"NOTIFY": {"message/sipfrag", "application/dialog-info+xml"}, // REFER progress; presence (dialog event package)
}

// validate inspects a parsed request. It returns 0 when the request may
// be served, else the status, reason and extra headers of the answer.
func validate(req *sip.Request) (int, string, []sip.Header) {
	switch {
	case req.SipVersion != "SIP/2.0":
		return 505, "Version Not Supported", nil
	case req.Via() == nil, req.From() == nil, req.To() == nil, req.CallID() == nil, req.CSeq() == nil:
		return 400, "Missing Mandatory Header", nil
	}
	for _, h := range singleHeaders {
		if len(req.GetHeaders(h)) > 1 {
			return 400, "Duplicate " + h, nil
		}
	}
	// sipgo upper-cases the request line's method (methods are case
	// sensitive, RFC 3261 §7.1), so the CSeq method is compared folded.
	if !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)) {
		return 400, "CSeq Method Mismatch", nil
	}
	if code, reason, hdrs := inspectMethod(req); code != 0 {
		return code, reason, hdrs
	}
	if s := strings.ToLower(req.Recipient.Scheme); s != "sip" && s != "sips" {
		return 416, "Unsupported URI Scheme", nil
	}
	if req.Recipient.Headers.Length() > 0 {
		return 400, "Headers In Request-URI", nil
	}
	if req.IsAck() || req.IsCancel() {
		return 0, "", nil // never refused for Require or bodies (§8.2.2.3)
	}
	if bad := unsupportedRequire(req); len(bad) > 0 {
		return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(bad, ", "))}
	}
	if code, reason, hdrs := inspectBody(req); code != 0 {
		return code, reason, hdrs
	}
	if req.IsInvite() && !acceptsSDP(req) {
		return 406, "Not Acceptable", []sip.Header{sip.NewHeader("Warning", `399 xphone "answers carry application/sdp"`)}
	}
	return 0, "", nil
}

// inspectMethod: 501 for methods we do not know, 405 (with Allow) for
// those we know but do not serve (§8.2.1).
func inspectMethod(req *sip.Request) (int, string, []sip.Header) {
	m := string(req.Method)
	switch {
	case slices.Contains(servedMethods, m):
		return 0, "", nil
	case slices.Contains(knownMethods, m):
		return 405, "Method Not Allowed", []sip.Header{sip.NewHeader("Allow", allowHeader)}
	}
	return 501, "Not Implemented", []sip.Header{sip.NewHeader("Allow", allowHeader)}
}

// unsupportedRequire lists the Require option tags we do not implement.
func unsupportedRequire(req *sip.Request) []string {
	var bad []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(supportedOptions, strings.ToLower(tag)) {
				bad = append(bad, tag)
			}
		}
	}
	return bad
}

// inspectBody answers a body we cannot read: 415 with what we accept for
// a foreign Content-Type or Content-Encoding, 400 without a Content-Type.
func inspectBody(req *sip.Request) (int, string, []sip.Header) {
	types, reads := bodyTypes[string(req.Method)]
	if !reads || len(req.Body()) == 0 {
		return 0, "", nil
	}
	accept := []sip.Header{sip.NewHeader("Accept", strings.Join(types, ", ")), sip.NewHeader("Accept-Encoding", "identity")}
	for _, name := range []string{"Content-Encoding", "e"} {
		for _, h := range req.GetHeaders(name) {
			if v := strings.ToLower(strings.TrimSpace(h.Value())); v != "" && v != "identity" {
				return 415, "Unsupported Media Type", accept
			}
		}
	}
	ct := req.ContentType()
	if ct == nil {
		return 400, "Missing Content-Type", nil
	}
	if !slices.Contains(types, mediaType(ct.Value())) {
		return 415, "Unsupported Media Type", accept
	}
	return 0, "", nil
}

// acceptsSDP reports whether an INVITE's Accept headers (if any) allow
// our SDP answer (RFC 4475 sdp01: otherwise 406).
func acceptsSDP(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		for _, v := range strings.Split(h.Value(), ",") {
			switch mediaType(v) {
			case "application/sdp", "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// mediaType is the lower-case type/subtype of a Content-Type or Accept
// value, without parameters.
func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
