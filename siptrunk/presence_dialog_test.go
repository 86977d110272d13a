package siptrunk

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// TestPresenceSubscriptionLifecycle: a PBX (raw SIP on 127.0.0.2) grants
// the subscription for 250 and refuses 259. Its dialog-info NOTIFYs move
// 250 to "on a call" and back to "available" on the board; when the trunk
// closes, the PBX gets one SUBSCRIBE with Expires: 0 in 250's dialog and
// none for 259, and the numbers leave the board. This proves the RFC 4235
// side with no Asterisk modules (the Asterisk suite proves it against real
// hints where the kit has them).
func TestPresenceSubscriptionLifecycle(t *testing.T) {
	const pbxAddr = "127.0.0.2:5097"
	peer := newRawSocket(t, pbxAddr)
	board := sfu.NewPresenceBoard(nil)
	changes := make(chan sfu.Presence, 32)
	defer board.Subscribe(func(p sfu.Presence) { changes <- p })()

	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: pbxAddr, Listen: ourSIP, Presence: []string{"250", "259"}},
		MediaIP: ourIP, Permission: func(string) string { return "national" }}, &countingPlacer{}, testLogger())
	must(t, err)
	tr.SetPresenceBoard(board)
	must(t, tr.Start())
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = tr.Close(context.Background())
		}
	})

	sub := grantPresence(t, peer)
	want := func(state sfu.PresenceState) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case p := <-changes:
				if p.Number == "250" && p.State == state {
					return
				}
			case <-deadline:
				t.Fatalf("250 never became %q on the board: %v", state, board.Snapshot())
			}
		}
	}
	peer.send(t, dialogNotify(sub, 1, "confirmed"))
	want(sfu.PresenceOnCall)
	peer.send(t, dialogNotify(sub, 2, ""))
	want(sfu.PresenceAvailable)

	done := make(chan error, 1)
	go func() { done <- tr.Close(context.Background()) }()
	closed = true
	unsub := awaitUnsubscribe(t, peer)
	if got, want := headerOf(unsub, "Call-ID"), headerOf(sub, "Call-ID"); got != want {
		t.Errorf("unsubscribe Call-ID %q, want the subscription's %q", got, want)
	}
	if !strings.Contains(headerOf(unsub, "To"), "tag=pbx250") {
		t.Errorf("unsubscribe is not in the dialog (To %q lacks the PBX's tag)", headerOf(unsub, "To"))
	}
	peer.send(t, okTo(unsub))
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("trunk close did not return after the unsubscribe was answered")
	}
	if snap := board.Snapshot(); len(snap) != 0 {
		t.Errorf("the closed trunk's numbers stay on the board: %v", snap)
	}
}

// grantPresence answers the trunk's first SUBSCRIBE for 250 with 200 (To
// tag pbx250) and every SUBSCRIBE for 259 with 404; it returns 250's.
func grantPresence(t *testing.T, peer *rawSocket) string {
	t.Helper()
	msg := firstSubscribe(peer, func(msg string) bool {
		if strings.HasPrefix(msg, "SUBSCRIBE sip:259@") {
			peer.send(t, answerTo(msg, "404 Not Found"))
			return false
		}
		return true
	})
	if msg == "" {
		t.Fatal("no SUBSCRIBE for 250 reached the PBX")
	}
	if headerOf(msg, "Event") != "dialog" || headerOf(msg, "Expires") != "600" {
		t.Fatalf("SUBSCRIBE lacks Event: dialog / Expires: 600:\n%s", msg)
	}
	peer.send(t, withToTag(okTo(msg), "pbx250"))
	return msg
}

// awaitUnsubscribe returns the SUBSCRIBE with Expires: 0 the closing
// trunk sends; one for 259 (never granted) fails the test.
func awaitUnsubscribe(t *testing.T, peer *rawSocket) string {
	t.Helper()
	msg := firstSubscribe(peer, func(msg string) bool {
		if headerOf(msg, "Expires") != "0" {
			return false // a retry of 259 racing the close
		}
		if strings.HasPrefix(msg, "SUBSCRIBE sip:259@") {
			t.Errorf("259's subscription was never granted, yet the trunk unsubscribed it")
			return false
		}
		return true
	})
	if msg == "" {
		t.Fatal("the closing trunk sent no SUBSCRIBE with Expires: 0 for 250")
	}
	return msg
}

// firstSubscribe is the first SUBSCRIBE reaching peer within 5 s that
// wanted accepts; "" if none.
func firstSubscribe(peer *rawSocket, wanted func(string) bool) string {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		msg, ok := peer.await("SUBSCRIBE ", time.Until(deadline))
		if !ok {
			return ""
		}
		if wanted(msg) {
			return msg
		}
	}
	return ""
}

// dialogNotify is the PBX's NOTIFY in the subscription dialog of sub,
// with a dialog in state (none when state is empty).
func dialogNotify(sub string, cseq int, state string) string {
	dialogs := ""
	if state != "" {
		dialogs = fmt.Sprintf(`<dialog id="d1" direction="recipient"><state>%s</state></dialog>`, state)
	}
	body := fmt.Sprintf(`<?xml version="1.0"?><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="%d" state="full" entity="sip:250@127.0.0.2">%s</dialog-info>`, cseq, dialogs)
	return fmt.Sprintf("NOTIFY sip:xphone@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5097;branch=z9hG4bKn%d\r\n"+
		"From: <sip:250@127.0.0.2>;tag=pbx250\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d NOTIFY\r\nMax-Forwards: 70\r\n"+
		"Contact: <sip:250@127.0.0.2:5097>\r\nEvent: dialog\r\nSubscription-State: active;expires=600\r\n"+
		"Content-Type: application/dialog-info+xml\r\nContent-Length: %d\r\n\r\n%s",
		ourSIP, time.Now().UnixNano(), headerOf(sub, "From"), headerOf(sub, "Call-ID"), cseq, len(body), body)
}

// headerOf is the value of the first header called name in msg.
func headerOf(msg, name string) string {
	re := regexp.MustCompile(`(?mi)^` + regexp.QuoteMeta(name) + `:\s*(.*?)\r?$`)
	if m := re.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// withToTag adds a tag to the To header of the response res.
func withToTag(res, tag string) string {
	to := headerOf(res, "To")
	return strings.Replace(res, "To: "+to, "To: "+to+";tag="+tag, 1)
}
