package sipmedia

import (
	"fmt"
	"slices"
	"strings"
)

// SDP normalisation between pion and SIP peers (TESTING.md pitfalls 1–7).
// SIP peers get a small SDP: no extmap, rtcp-fb, msid or ssrc lines, a
// real connection address and port, and no BUNDLE/mid unless they use it.
// pion gets what it needs: a=mid and a=group:BUNDLE, no ssrc lines.

// droppedForSIP are attribute prefixes removed from SDP sent to SIP peers.
var droppedForSIP = []string{
	"a=extmap", "a=rtcp-fb", "a=msid", "a=ssrc", "a=ice-options", "a=extmap-allow-mixed",
}

// sdpLines splits SDP text into lines without their CR/LF.
func sdpLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines
}

func joinSDP(lines []string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// toSIP rewrites pion's SDP for a SIP peer: trimmed for UDP size, the
// connection address and media port from the first host candidate,
// component-2 candidates removed, and BUNDLE/mid dropped unless keepMid.
// With video bundled next to the audio it keeps the video's rtcp-fb
// (NACK, PLI, FIR) and every section's a=ssrc cname line: a bundled PBX
// such as Asterisk routes our packets to its streams only by the SSRCs
// we declare, and drops the rest (no media at all, either way).
func toSIP(pionSDP string, keepMid, video bool) (string, error) {
	ip, port, ok := firstCandidate(pionSDP)
	if !ok {
		return "", fmt.Errorf("%w: no ICE candidate gathered", ErrSDP)
	}
	var out []string
	for _, l := range sdpLines(pionSDP) {
		switch {
		case video && (strings.HasPrefix(l, "a=rtcp-fb") || strings.HasPrefix(l, "a=ssrc:") && strings.Contains(l, " cname:")):
		case hasAnyPrefix(l, droppedForSIP):
			continue
		case !keepMid && (strings.HasPrefix(l, "a=group:BUNDLE") || strings.HasPrefix(l, "a=mid:")):
			continue
		case strings.HasPrefix(l, "a=candidate:") && candidateComponent(l) != "1":
			continue
		case strings.HasPrefix(l, "c=IN IP4 "):
			l = "c=IN IP4 " + ip
		case strings.HasPrefix(l, "m=") && !rejected(l):
			l = replaceMediaPort(l, port)
		case strings.HasPrefix(l, "o="):
			l = replaceOriginAddr(l, ip)
		}
		out = append(out, l)
	}
	return joinSDP(out), nil
}

// fromSIP prepares a peer's SDP for pion: ssrc lines removed (they may
// not match what the peer sends), a=mid and a=group:BUNDLE added when
// missing. It reports whether the peer used mids itself. Without ssrc
// lines pion finds a bundled peer's audio and video by payload type,
// also when the peer changes its SSRC mid-call. A refused section's
// formats become "0", as pion writes them: pion rejects a payload type
// it finds no rtpmap for, which a refusal rarely carries. A peer that uses mids
// may still leave them off a section it refuses (Asterisk's "m=video 0"
// answer): that section gets its position as mid, which is what pion
// gave it in our offer.
func fromSIP(peerSDP string) (string, bool) {
	lines := sdpLines(peerSDP)
	hadMid := slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "a=mid:") })
	var out []string
	mids := []string{}
	for i, sec := range sdpSections(lines) {
		needMid := i > 0 && !slices.ContainsFunc(sec, func(l string) bool { return strings.HasPrefix(l, "a=mid:") })
		for j, l := range sec {
			if strings.HasPrefix(l, "a=ssrc") || !hadMid && strings.HasPrefix(l, "a=group:BUNDLE") {
				continue
			}
			if j == 0 && rejected(l) {
				l = refusedForPion(l)
			}
			out = append(out, l)
			if j == 0 && needMid {
				mid := fmt.Sprint(i - 1) // the section's position
				mids = append(mids, mid)
				out = append(out, "a=mid:"+mid)
			}
		}
	}
	if !hadMid && len(mids) > 0 {
		out = insertSessionAttr(out, "a=group:BUNDLE "+strings.Join(mids, " "))
	}
	return joinSDP(out), hadMid
}

// refusedForPion is a refused m-line with the one format "0".
func refusedForPion(mline string) string {
	f := strings.Fields(mline)
	if len(f) < 4 {
		return mline
	}
	return strings.Join(append(f[:3], "0"), " ")
}

// sdpSections splits SDP lines into the session part and one slice per
// m-section (each starting with its m-line).
func sdpSections(lines []string) [][]string {
	var secs [][]string
	cur := []string{}
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			secs = append(secs, cur)
			cur = []string{}
		}
		cur = append(cur, l)
	}
	return append(secs, cur)
}

// insertSessionAttr puts attr just before the first m= line.
func insertSessionAttr(lines []string, attr string) []string {
	for i, l := range lines {
		if strings.HasPrefix(l, "m=") {
			return append(lines[:i:i], append([]string{attr}, lines[i:]...)...)
		}
	}
	return append(lines, attr)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// firstCandidate returns the address and port of the first component-1
// candidate: "a=candidate:f c udp prio IP PORT typ host".
func firstCandidate(s string) (string, string, bool) {
	for _, l := range sdpLines(s) {
		if !strings.HasPrefix(l, "a=candidate:") {
			continue
		}
		f := strings.Fields(l)
		if len(f) >= 6 && f[1] == "1" {
			return f[4], f[5], true
		}
	}
	return "", "", false
}

func candidateComponent(l string) string {
	f := strings.Fields(l)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

func replaceMediaPort(l, port string) string {
	f := strings.Fields(l)
	if len(f) < 2 {
		return l
	}
	f[1] = port
	return strings.Join(f, " ")
}

func replaceOriginAddr(l, ip string) string {
	f := strings.Fields(l)
	if len(f) != 6 {
		return l
	}
	f[5] = ip
	return strings.Join(f, " ")
}

// hasICE reports whether the SDP carries ICE credentials.
func hasICE(s string) bool { return strings.Contains(s, "a=ice-ufrag:") }

// hasFingerprint reports whether the SDP offers DTLS-SRTP.
func hasFingerprint(s string) bool { return strings.Contains(s, "a=fingerprint:") }

// rejected reports whether an m-line has port 0 (a refused stream).
func rejected(mline string) bool {
	f := strings.Fields(mline)
	return len(f) > 1 && f[1] == "0"
}
