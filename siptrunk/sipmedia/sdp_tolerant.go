package sipmedia

import (
	"slices"
	"strings"
)

// Peers' SDP is not always what pion/sdp reads: RFC 4475's torture
// messages leave out s= and t=, some phones end the body without CRLF or
// add lines of their own. The SIP trunk always took such SDP (it read
// only the lines it needed), so tolerant puts it into RFC 4566's form
// before it is parsed: lines of unknown types dropped, each section's
// lines in the standard order, the mandatory session lines that are
// missing added with neutral values. SDP that parses as it is never gets
// here, and what we send is always written by pion/sdp.

// sessionOrder and mediaOrder are RFC 4566 §5's line types in order.
const (
	sessionOrder = "vosiuepcbtrzka"
	mediaOrder   = "micbka"
)

// sessionDefaults are the mandatory session lines and their stand-ins.
var sessionDefaults = map[byte]string{'v': "v=0", 'o': "o=- 0 0 IN IP4 0.0.0.0", 's': "s=-", 't': "t=0 0"}

// tolerant returns s with its lines put in RFC 4566's order and form.
func tolerant(s string) string {
	var sections [][]string
	cur := []string{}
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }) {
		l = strings.TrimSpace(l)
		if len(l) < 2 || l[1] != '=' || !strings.ContainsRune(sessionOrder+"m", rune(l[0])) {
			continue
		}
		if l[0] == 'm' {
			sections = append(sections, cur)
			cur = []string{}
		}
		cur = append(cur, l)
	}
	sections = append(sections, cur)
	out := inOrder(sections[0], sessionOrder, true)
	for _, sec := range sections[1:] {
		out = append(out, sec[0])
		out = append(out, inOrder(sec[1:], mediaOrder, false)...)
	}
	return strings.Join(out, "\r\n") + "\r\n"
}

// inOrder sorts a section's lines by type (stable: attributes keep their
// order), dropping types the section may not have and, for the session,
// adding the mandatory lines it lacks.
func inOrder(lines []string, order string, session bool) []string {
	lines = slices.DeleteFunc(lines, func(l string) bool { return !strings.ContainsRune(order, rune(l[0])) })
	if session {
		for _, t := range []byte("vost") {
			if !slices.ContainsFunc(lines, func(l string) bool { return l[0] == t }) {
				lines = append(lines, sessionDefaults[t])
			}
		}
	}
	slices.SortStableFunc(lines, func(a, b string) int {
		return strings.IndexByte(order, a[0]) - strings.IndexByte(order, b[0])
	})
	return lines
}
