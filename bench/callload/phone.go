package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"xphone/sfu/sfutest"
)

// phone is one synthetic browser tab: an HTTPS session, the signalling
// socket and (once in a call) a pion PeerConnection.
type phone struct {
	number string
	conn   *websocket.Conn
	client *sfutest.Client

	hello    chan struct{} // closed by the server's hello: the tab is registered
	mu       sync.Mutex
	call     string
	incoming chan string            // call ids offered to this tab
	answers  map[string]chan string // call id → the server's SDP answer
	states   chan callState
	ended    atomic.Bool // the server reported the call ended
	closed   atomic.Bool // the socket closed
	reason   atomic.Value
	wg       sync.WaitGroup
}

type callState struct{ call, state, req, reason string }

// serverMsg is every field callload reads from server messages.
type serverMsg struct {
	Type, Call, State, Req, Reason, SDP, Code, Message string
}

// login logs number in and opens its signalling socket.
func login(ctx context.Context, url, number string) (*phone, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the load tool's own self-signed server
	body, _ := json.Marshal(map[string]string{"ext": number, "password": password})
	resp, err := hc.Post(url+"api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", number, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: %s", number, resp.Status)
	}
	origin := strings.TrimSuffix(url, "/xphone/")
	conn, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(url, "https")+"ws",
		&websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", number, err)
	}
	conn.SetReadLimit(1 << 20)
	p := &phone{number: number, conn: conn, incoming: make(chan string, 4), hello: make(chan struct{}),
		answers: map[string]chan string{}, states: make(chan callState, 16)}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.read() }()
	select { // as the page does: calls only once the server said hello
	case <-p.hello:
		return p, nil
	case <-ctx.Done():
		p.hangup()
		return nil, fmt.Errorf("%s: no hello: %w", number, ctx.Err())
	}
}

func (p *phone) send(m map[string]any) error {
	data, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.conn.Write(ctx, websocket.MessageText, data)
}

// read handles the server's messages until the socket closes.
func (p *phone) read() {
	defer p.closed.Store(true)
	for {
		_, data, err := p.conn.Read(context.Background())
		if err != nil {
			p.reason.Store("socket closed: " + err.Error())
			return
		}
		var m serverMsg
		if json.Unmarshal(data, &m) == nil {
			p.handle(m)
		}
	}
}

func (p *phone) handle(m serverMsg) {
	switch m.Type {
	case "hello":
		select {
		case <-p.hello:
		default:
			close(p.hello)
		}
	case "incoming":
		select {
		case p.incoming <- m.Call:
		default:
		}
	case "answer":
		p.answerFor(m.Call) <- m.SDP
	case "error":
		select {
		case p.states <- callState{req: m.Req, state: "error", reason: m.Code + ": " + m.Message}:
		default:
		}
	case "call-state":
		if m.State == "ended" {
			p.ended.Store(true)
			p.reason.Store("call ended: " + m.Reason)
		}
		select {
		case p.states <- callState{call: m.Call, state: m.State, req: m.Req, reason: m.Reason}:
		default:
		}
	}
}

// answerFor is the channel the server's answer for call arrives on.
func (p *phone) answerFor(call string) chan string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.answers[call]
	if ch == nil {
		ch = make(chan string, 1)
		p.answers[call] = ch
	}
	return ch
}

// waitState waits for a call-state (or an error for req) and returns it.
func (p *phone) waitState(ctx context.Context, want string) (callState, error) {
	for {
		select {
		case s := <-p.states:
			switch {
			case s.state == want:
				return s, nil
			case s.state == "error" || s.state == "ended":
				return s, fmt.Errorf("%s: %s %s while waiting for %s", p.number, s.state, s.reason, want)
			}
		case <-ctx.Done():
			return callState{}, fmt.Errorf("%s: no %s: %w", p.number, want, ctx.Err())
		}
	}
}

// newClient makes the tab's PeerConnection and its offer.
func (p *phone) newClient(ctx context.Context) (string, error) {
	c, err := sfutest.NewClient(false)
	if err != nil {
		return "", err
	}
	p.client = c
	return c.Offer(ctx)
}

// dial calls to and returns once the call is connected and media can flow.
func (p *phone) dial(ctx context.Context, to string) error {
	offer, err := p.newClient(ctx)
	if err != nil {
		return err
	}
	if err := p.send(map[string]any{"type": "dial", "req": "d-" + p.number, "to": to, "sdp": offer}); err != nil {
		return err
	}
	s, err := p.waitState(ctx, "dialing")
	if err != nil {
		return err
	}
	p.call = s.call
	if err := p.applyAnswer(ctx, s.call); err != nil {
		return err
	}
	if _, err := p.waitState(ctx, "connected"); err != nil {
		return err
	}
	return p.client.Connected(ctx)
}

// accept takes the next incoming call.
func (p *phone) accept(ctx context.Context) error {
	var call string
	select {
	case call = <-p.incoming:
	case <-ctx.Done():
		return fmt.Errorf("%s: not rung: %w", p.number, ctx.Err())
	}
	offer, err := p.newClient(ctx)
	if err != nil {
		return err
	}
	p.call = call
	if err := p.send(map[string]any{"type": "accept", "req": "a-" + p.number, "call": call, "sdp": offer}); err != nil {
		return err
	}
	if err := p.applyAnswer(ctx, call); err != nil {
		return err
	}
	return p.client.Connected(ctx)
}

func (p *phone) applyAnswer(ctx context.Context, call string) error {
	select {
	case sdp := <-p.answerFor(call):
		return p.client.Answer(sdp)
	case <-ctx.Done():
		return fmt.Errorf("%s: no answer SDP: %w", p.number, ctx.Err())
	}
}

// audio is how many audio packets the tab has received.
func (p *phone) audio() uint64 {
	if p.client == nil {
		return 0
	}
	return p.client.AudioReceived.Load()
}

// lost says why the tab's call is gone, or "".
func (p *phone) lost() string {
	if p.ended.Load() || p.closed.Load() {
		r, _ := p.reason.Load().(string)
		return r
	}
	return ""
}

// hangup ends the call, closes the socket and the PeerConnection.
func (p *phone) hangup() {
	if p.call != "" {
		_ = p.send(map[string]any{"type": "hangup", "call": p.call})
	}
	_ = p.conn.Close(websocket.StatusNormalClosure, "")
	if p.client != nil {
		_ = p.client.Close()
	}
	p.wg.Wait()
}
