package sfu

import (
	"strings"
)

// askForDTX adds usedtx=1 to every Opus format in SDP the server sends to a
// browser. The parameter states what the server prefers to receive: Chrome
// and Firefox then stop sending 50 packets a second while their user is
// silent (one comfort-noise packet every 400 ms instead). The SDP writer
// (sdpwrite.go) runs every answer and offer through it. A silent
// majority thus costs a room almost no receive work; the mixer and the
// speaker meter already treat a gap as silence.
func askForDTX(sdpText string) string {
	lines := strings.Split(sdpText, "\r\n")
	opus := map[string]bool{}
	for _, l := range lines {
		if pt, codec, ok := rtpmap(l); ok && strings.HasPrefix(strings.ToLower(codec), "opus/") {
			opus[pt] = true
		}
	}
	if len(opus) == 0 {
		return sdpText
	}
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "a=fmtp:")
		if !ok {
			continue
		}
		pt, params, _ := strings.Cut(rest, " ")
		if opus[pt] && !strings.Contains(params, "usedtx=") {
			lines[i] = l + ";usedtx=1"
		}
	}
	return strings.Join(lines, "\r\n")
}

// rtpmap splits "a=rtpmap:111 opus/48000/2" into "111" and "opus/48000/2".
func rtpmap(line string) (pt, codec string, ok bool) {
	rest, ok := strings.CutPrefix(line, "a=rtpmap:")
	if !ok {
		return "", "", false
	}
	pt, codec, ok = strings.Cut(rest, " ")
	return pt, codec, ok
}
