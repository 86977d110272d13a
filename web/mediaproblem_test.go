package web_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// withoutVP8 removes VP8 and H.264 (the video codecs the server forwards)
// and their retransmission formats from an offer, as a browser that has
// neither would offer.
func withoutVP8(offer string) string {
	var pts []string
	for _, m := range regexp.MustCompile(`a=rtpmap:(\d+) (VP8|H264)/90000`).FindAllStringSubmatch(offer, -1) {
		pts = append(pts, m[1])
		if rtx := regexp.MustCompile(`a=fmtp:(\d+) apt=` + m[1] + `\b`).FindStringSubmatch(offer); rtx != nil {
			pts = append(pts, rtx[1])
		}
	}
	if pts == nil {
		return offer
	}
	var out []string
	for _, line := range strings.Split(offer, "\r\n") {
		if strings.HasPrefix(line, "m=video ") {
			f := strings.Fields(line)
			line = strings.Join(slices.DeleteFunc(f, func(s string) bool { return slices.Contains(pts[:], s) && s != f[1] }), " ")
		}
		drop := false
		for _, pt := range pts {
			for _, attr := range []string{"a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"} {
				drop = drop || strings.HasPrefix(line, attr+pt+" ")
			}
		}
		if !drop {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\r\n")
}

// TestAnswerNamesUnusableMedia: an offer whose video has no VP8 still
// makes a call (audio), and the answer tells the tab why its video is
// not used; an ordinary offer gets no such note.
func TestAnswerNamesUnusableMedia(t *testing.T) {
	srv := startServer(t, testConfig)
	alice := loggedInTab(t, srv, "1001", "pw1001")
	bob := loggedInTab(t, srv, "1002", "pw1002")

	_, plain := offer(t, true)
	alice.send(map[string]any{"type": "dial", "req": "plain", "to": "1002", "video": true, "sdp": plain})
	id := alice.waitFor("call-state", map[string]any{"state": "dialing", "req": "plain"})["call"].(string)
	if a := alice.waitFor("answer", map[string]any{"call": id}); a["unusable"] != nil {
		t.Fatalf("answer to a VP8 offer names unusable media: %v", a["unusable"])
	}
	alice.send(map[string]any{"type": "hangup", "call": id})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended"})

	_, sdp := offer(t, true)
	alice.send(map[string]any{"type": "dial", "req": "novp8", "to": "1002", "video": true, "sdp": withoutVP8(sdp)})
	id = alice.waitFor("call-state", map[string]any{"state": "dialing", "req": "novp8"})["call"].(string)
	a := alice.waitFor("answer", map[string]any{"call": id})
	got := fmt.Sprint(a["unusable"])
	if !regexp.MustCompile(`kind:video .*reason:codec`).MatchString(got) || !strings.Contains(got, "VP8") {
		t.Fatalf("answer unusable = %s, want the video codec named", got)
	}
	// The UI words it in its user's language from want and offered.
	if u, _ := a["unusable"].([]any); len(u) != 1 || u[0].(map[string]any)["want"] != "VP8 or H.264" ||
		len(u[0].(map[string]any)["offered"].([]any)) == 0 || strings.Contains(fmt.Sprint(u[0].(map[string]any)["offered"]), "VP8") {
		t.Fatalf("answer unusable = %s, want want VP8 and the offered codecs without it", got)
	}
	if regexp.MustCompile(`m=video [1-9]`).MatchString(a["sdp"].(string)) {
		t.Fatalf("the answer keeps video on:\n%s", a["sdp"])
	}
	if !regexp.MustCompile(`m=audio [1-9]`).MatchString(a["sdp"].(string)) {
		t.Fatalf("the answer turns audio off too:\n%s", a["sdp"])
	}
	bob.waitFor("incoming", map[string]any{"call": id}) // the call goes on, with audio
}
