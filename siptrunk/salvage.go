package siptrunk

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Answers to requests the SIP parser cannot read: built from the raw text
// (RFC 3261 §8.2.6: copy Via, From, To, Call-ID and CSeq), so a PBX's
// malformed request is told 400 — or 416 when only its Request-URI scheme
// is foreign — instead of being retransmitted into silence.

// salvage returns the answer to an unparsable message, or nil when none
// can be given: a response (never answered), or a request without Via.
func salvage(data []byte) []byte {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := headerLines(head)
	if len(lines) == 0 || !isRequestLine(lines[0]) {
		return nil
	}
	code, reason := 400, "Bad Request"
	if foreignScheme(lines[0]) {
		code, reason = 416, "Unsupported URI Scheme"
	}
	return rawAnswer(lines[1:], code, reason)
}

// rawAnswer builds a response with code from a request's raw header
// lines; nil without a Via (it could not be routed back).
func rawAnswer(lines []string, code int, reason string) []byte {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n")
	vias := 0
	for _, l := range lines {
		switch headerName(l) {
		case "via", "v":
			vias++
			b.WriteString(l + "\r\n")
		case "to", "t":
			if !strings.Contains(strings.ToLower(l), "tag") {
				l += ";tag=" + sip.GenerateTagN(10)
			}
			b.WriteString(l + "\r\n")
		case "from", "f", "call-id", "i", "cseq":
			b.WriteString(l + "\r\n")
		}
	}
	if vias == 0 {
		return nil
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// headerLines splits a header section into logical lines, folded
// continuation lines kept with their header (CRLF and all).
func headerLines(head []byte) []string {
	var out []string
	for _, l := range strings.Split(string(head), "\r\n") {
		if len(out) > 1 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			out[len(out)-1] += "\r\n" + l
			continue
		}
		out = append(out, l)
	}
	return out
}

// headerName is the lower-case field name of a header line.
func headerName(line string) string {
	name, _, ok := strings.Cut(line, ":")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(name))
}

// isRequestLine reports whether line looks like "METHOD URI SIP/x.y" at
// all (a response or garbage is never answered).
func isRequestLine(line string) bool {
	parts := strings.Fields(line)
	return len(parts) >= 3 && isToken(parts[0]) && strings.HasPrefix(parts[len(parts)-1], "SIP/")
}

// foreignScheme reports a well-formed request line whose Request-URI has
// a syntactically valid scheme other than sip or sips (RFC 4475 novelsc).
func foreignScheme(line string) bool {
	parts := strings.Split(line, " ")
	if len(parts) != 3 || parts[2] != "SIP/2.0" {
		return false
	}
	scheme, _, ok := strings.Cut(parts[1], ":")
	if !ok || scheme == "" || !isScheme(scheme) {
		return false
	}
	s := strings.ToLower(scheme)
	return s != "sip" && s != "sips"
}

// isScheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
func isScheme(s string) bool {
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// isToken: RFC 3261 token characters (a method name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-.!%*_+`'~", c):
		default:
			return false
		}
	}
	return true
}
