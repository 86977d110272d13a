package siptrunk

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// The front door judges every SIP message before sipgo parses, answers or
// logs anything: strangers (sources not in allowed_sources) are dropped in
// silence — counted and logged one summary line per source per interval,
// never echoing the message; allowed sources are rate-limited per IP;
// messages the parser cannot read are answered 400 (416 for a foreign
// Request-URI scheme) from their raw text, or dropped when no answer can
// be routed. Only messages sipgo can turn into transactions pass.

// Default per-source limits (rate_limit: 0 means these).
const (
	defaultMessageRate = 500
	defaultCallRate    = 20
)

// maxMessage is the largest SIP message accepted on a stream (sipgo's
// parser limit); a bigger one is answered 513 and the connection closed.
const maxMessage = 65535

// verdict is the front door's decision on one message.
type verdict struct {
	pass    bool   // hand it to sipgo
	rewrite []byte // hand sipgo this instead (whitespace in parameters normalised)
	reply   []byte // answer to send ourselves (nil: none)
	close   bool   // stream framing is lost: close the connection
}

// frontDoor is one trunk's admission of SIP messages.
type frontDoor struct {
	allowed   func(netip.Addr) bool
	msgs      *rateLimiter
	parser    *sip.Parser
	stats     *Stats
	strangers *summaryLog // stream=security: fail2ban bans these
	peers     *summaryLog // operational: the PBX itself must never be banned
}

// stranger reports (and counts and logs) a source that is not allowed.
func (d *frontDoor) stranger(src netip.Addr) bool {
	if d.allowed(src) {
		return false
	}
	d.stats.DroppedSources.Add(1)
	d.strangers.event(src, "source not allowed")
	return true
}

// datagram judges one UDP datagram from an allowed source.
func (d *frontDoor) datagram(src netip.Addr, data []byte) verdict {
	if isKeepAlive(data) {
		return verdict{pass: true}
	}
	if !d.allow(src) {
		return verdict{}
	}
	msg, err := d.parser.ParseSIP(data)
	if err != nil {
		return d.unparsable(src, salvage(data), false)
	}
	return d.check(src, msg, false)
}

// allow applies the per-source message rate.
func (d *frontDoor) allow(src netip.Addr) bool {
	if d.msgs.allow(src) {
		return true
	}
	d.stats.PeerRateLimited.Add(1)
	d.peers.event(src, "over rate_limit.messages")
	return false
}

// unparsable counts a message the parser refused and answers it.
func (d *frontDoor) unparsable(src netip.Addr, reply []byte, closeStream bool) verdict {
	d.stats.PeerParseErrors.Add(1)
	d.peers.event(src, "unparsable")
	return verdict{reply: reply, close: closeStream}
}

// check passes a parsed message unless sipgo could not make a transaction
// of it (it would answer or log on its own): such a request is answered
// 400 here. A second Content-Length breaks stream framing.
func (d *frontDoor) check(src netip.Addr, msg sip.Message, stream bool) verdict {
	req, ok := msg.(*sip.Request)
	if !ok {
		return verdict{pass: true}
	}
	var rewrite []byte
	normalised := normaliseParams(req)
	problem := transactionProblem(req)
	if normalised {
		rewrite = []byte(req.String())
		// sipgo prints some headers it took leniently in a form it then
		// refuses (a Route of "::A00" becomes <sip::A00>): pass only what
		// it will parse again.
		if _, err := d.parser.ParseSIP(rewrite); err != nil && problem == "" {
			problem = "unparsable once normalised"
		}
	}
	if problem == "" {
		return verdict{pass: true, rewrite: rewrite}
	}
	d.stats.PeerParseErrors.Add(1)
	d.peers.event(src, problem)
	v := verdict{close: stream && problem == "two Content-Length"}
	if req.Via() != nil && !req.IsAck() {
		res := sip.NewResponseFromRequest(req, 400, "Bad Request", nil)
		res.SipVersion = "SIP/2.0" // not the request's, which may be anything
		v.reply = []byte(res.String())
	}
	return v
}

// transactionProblem names why a request cannot be a transaction (RFC
// 3261 §8.1.1 mandatory headers; RFC 2543 requests without a From tag —
// backward compatibility RFC 4475 §3.4 leaves optional — are not
// supported); "" when it can.
func transactionProblem(req *sip.Request) string {
	switch {
	case req.Via() == nil:
		return "no Via"
	case req.CSeq() == nil, req.From() == nil, req.To() == nil, req.CallID() == nil:
		return "missing mandatory header"
	case len(req.GetHeaders("Content-Length")) > 1:
		return "two Content-Length"
	}
	branch, _ := req.Via().Params.Get("branch")
	if _, tagged := req.From().Params.Get("tag"); !tagged && !strings.HasPrefix(branch, sip.RFC3261BranchMagicCookie) {
		return "RFC 2543 request"
	}
	return ""
}

// normaliseParams removes the whitespace RFC 3261 allows around ";" and
// "=" in From, To and Via parameters (RFC 4475 wsinv: "tag = 98asjd8"),
// which sipgo keeps in the names, so transactions and dialogs find their
// tags. It reports whether anything changed.
func normaliseParams(req *sip.Request) bool {
	changed := false
	fix := func(ps *sip.HeaderParams) {
		out := (*ps)[:0]
		for _, kv := range *ps {
			k, v := strings.TrimSpace(kv.K), strings.TrimSpace(kv.V)
			changed = changed || k != kv.K || v != kv.V
			if k != "" {
				out = append(out, sip.HeaderKV{K: k, V: v})
			}
		}
		*ps = out
	}
	if f := req.From(); f != nil {
		fix(&f.Params)
	}
	if to := req.To(); to != nil {
		fix(&to.Params)
	}
	for _, h := range req.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			fix(&v.Params)
		}
	}
	return changed
}

// isKeepAlive reports CRLF keep-alives (RFC 5626 §3.5.1).
func isKeepAlive(data []byte) bool {
	return len(data) <= 4 && len(bytes.Trim(data, "\r\n")) == 0
}

// frame judges the first message in a stream buffer from an allowed
// source. n is how many bytes the verdict covers; 0 means more data is
// needed (the message is incomplete).
func (d *frontDoor) frame(src netip.Addr, buf []byte) (int, verdict) {
	if k := leadingCRLF(buf); k > 0 {
		return min(k, 4), verdict{pass: true}
	}
	if !bytes.Contains(buf, []byte("\r\n\r\n")) { // headers incomplete
		if len(buf) > maxMessage {
			return len(buf), d.tooLarge(src, buf)
		}
		return 0, verdict{}
	}
	msg, n, err := d.parser.Parse(buf, true)
	switch {
	case err == nil:
		if !d.allow(src) {
			return n, verdict{}
		}
		return n, d.check(src, msg, true)
	case errors.Is(err, sip.ErrParseReadBodyIncomplete) && msg != nil && msg.ContentLength() != nil:
		if len(buf) > maxMessage {
			return len(buf), d.tooLarge(src, buf)
		}
		return 0, verdict{} // the body is still coming (RFC 4475 clerr)
	case errors.Is(err, sip.ErrMessageTooLarge):
		return len(buf), d.tooLarge(src, buf)
	case errors.Is(err, sip.ErrParseReadBodyIncomplete):
		// No Content-Length, which streams must carry (RFC 3261 §18.3):
		// where this message ends is unknown.
		return len(buf), d.unparsable(src, salvage(buf), true)
	}
	return d.unframed(src, buf)
}

// unframed handles a stream message the parser refused: when its end can
// still be found (headers, then a sane Content-Length) it is answered and
// skipped; otherwise the framing is lost and the connection closes (RFC
// 4475 ncl, 3.1.2.3).
func (d *frontDoor) unframed(src netip.Addr, buf []byte) (int, verdict) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) > maxMessage {
			return len(buf), d.tooLarge(src, buf)
		}
		return 0, verdict{}
	}
	body, ok := rawContentLength(buf[:end])
	total := end + 4 + body
	switch {
	case !ok:
		return len(buf), d.unparsable(src, salvage(buf), true)
	case total > maxMessage:
		return len(buf), d.tooLarge(src, buf)
	case len(buf) < total:
		return 0, verdict{}
	}
	return total, d.unparsable(src, salvage(buf[:total]), false)
}

// tooLarge answers 513 when possible and closes the stream.
func (d *frontDoor) tooLarge(src netip.Addr, buf []byte) verdict {
	d.stats.PeerParseErrors.Add(1)
	d.peers.event(src, "message too large")
	head, _, _ := bytes.Cut(buf, []byte("\r\n\r\n"))
	var reply []byte
	if lines := headerLines(head); len(lines) > 0 && isRequestLine(lines[0]) {
		reply = rawAnswer(lines[1:], 513, "Message Too Large")
	}
	return verdict{reply: reply, close: true}
}

// rawContentLength reads the one Content-Length (or l) of a raw header
// section: 0 when absent; ok=false when it is not a single non-negative
// number (RFC 4475 ncl, mcl01).
func rawContentLength(head []byte) (int, bool) {
	n, seen := 0, 0
	for _, l := range headerLines(head) {
		if name := headerName(l); name != "content-length" && name != "l" {
			continue
		}
		_, v, _ := strings.Cut(l, ":")
		x, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || x < 0 {
			return 0, false
		}
		n, seen = x, seen+1
	}
	return n, seen <= 1
}

func leadingCRLF(buf []byte) int {
	k := 0
	for k+1 < len(buf) && buf[k] == '\r' && buf[k+1] == '\n' {
		k += 2
	}
	return k
}
