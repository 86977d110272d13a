package siptrunk

import (
	"bytes"
	"strconv"
	"sync/atomic"
)

// Methods counted by name; anything else is counted as "other".
var countedMethods = [...]string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "REFER",
	"UPDATE", "PRACK", "NOTIFY", "SUBSCRIBE", "MESSAGE", "other"}

// Response classes counted: 1xx … 6xx.
const responseClasses = 6

// MessageStats counts SIP messages on the wire by direction, request
// method and response class. Counting is a few atomic adds per message;
// the metrics collector reads the atomics on scrape.
type MessageStats struct {
	ReqIn, ReqOut [len(countedMethods)]atomic.Uint64
	ResIn, ResOut [responseClasses]atomic.Uint64 // index 0 is 1xx
}

// Methods are the method labels of ReqIn/ReqOut, in index order.
func Methods() []string { return countedMethods[:] }

// count parses every SIP start line in data (one datagram, or one read or
// write of a stream) and counts it as received (in) or sent.
func (m *MessageStats) count(data []byte, in bool) {
	for len(data) > 0 {
		m.countStart(data, in)
		data = nextMessage(data)
	}
}

// countStart counts the message whose start line begins data.
func (m *MessageStats) countStart(data []byte, in bool) {
	line, _, _ := bytes.Cut(data, []byte("\r\n"))
	if code, ok := bytes.CutPrefix(line, []byte("SIP/2.0 ")); ok {
		if len(code) < 3 || code[0] < '1' || code[0] > '6' {
			return
		}
		c := &m.ResOut[code[0]-'1']
		if in {
			c = &m.ResIn[code[0]-'1']
		}
		c.Add(1)
		return
	}
	if !bytes.HasSuffix(line, []byte(" SIP/2.0")) {
		return // not a start line: the rest of a stream message
	}
	method, _, _ := bytes.Cut(line, []byte(" "))
	i := len(countedMethods) - 1
	for j, name := range countedMethods[:i] {
		if string(method) == name { // no allocation: compiler-optimised comparison
			i = j
			break
		}
	}
	if in {
		m.ReqIn[i].Add(1)
	} else {
		m.ReqOut[i].Add(1)
	}
}

// nextMessage skips the message at the start of data (headers and
// Content-Length body); it returns nil when no further message follows.
func nextMessage(data []byte) []byte {
	head, rest, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		return nil
	}
	n := contentLength(head)
	if n > len(rest) {
		return nil
	}
	rest = rest[n:]
	for len(rest) > 0 && (rest[0] == '\r' || rest[0] == '\n') { // keep-alive CRLFs
		rest = rest[1:]
	}
	return rest
}

// contentLength reads Content-Length (or its compact form l) from head.
func contentLength(head []byte) int {
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte("\r\n"))
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		if bytes.EqualFold(name, []byte("Content-Length")) || bytes.EqualFold(name, []byte("l")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(val)))
			if err == nil && n >= 0 {
				return n
			}
		}
	}
	return 0
}
