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
	"time"

	"github.com/coder/websocket"

	"xphone/sfu/sfutest"
)

// participant is one synthetic browser: HTTP session, signalling socket and
// a pion PeerConnection.
type participant struct {
	number string
	client *sfutest.Client
	conn   *websocket.Conn
	call   string
	self   string

	mu        sync.Mutex
	dominant  string
	dominants []stamped // every dominant change seen, with arrival time
	connected chan struct{}
	wg        sync.WaitGroup
}

type stamped struct {
	id string
	at time.Time
}

// join logs in, opens the socket, dials room 800 and waits until connected;
// with video it receives the room's video, and sends its own if send (at
// o's camera rate). With fa it decodes the audio it receives until fa
// hears a talker.
func join(ctx context.Context, srv *server, number string, o options, send bool, fa *firstAudio) (*participant, error) {
	video := o.video
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed bench server
	body, _ := json.Marshal(map[string]string{"ext": number, "password": password})
	resp, err := hc.Post(srv.url+"api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", number, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: %s", number, resp.Status)
	}
	origin := strings.TrimSuffix(srv.url, "/xphone/")
	conn, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(srv.url, "https")+"ws",
		&websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", number, err)
	}
	conn.SetReadLimit(1 << 20)
	c, err := sfutest.NewClientWith(o.clientOptions(send))
	if err != nil {
		return nil, err
	}
	if fa != nil {
		if !fa.keepListening {
			fa.quiet = c.StopListening
		}
		c.OnAudio(fa.hear)
	}
	p := &participant{number: number, client: c, conn: conn, connected: make(chan struct{})}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.read() }()
	return p, p.dial(ctx, video)
}

func (p *participant) dial(ctx context.Context, video bool) error {
	offer, err := p.client.Offer(ctx)
	if err != nil {
		return err
	}
	p.send(map[string]any{"type": "dial", "to": "800", "video": video, "sdp": offer})
	select {
	case <-p.connected:
	case <-ctx.Done():
		return fmt.Errorf("%s: not connected: %w", p.number, ctx.Err())
	}
	return p.client.Connected(ctx)
}

func (p *participant) send(m map[string]any) {
	data, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.conn.Write(ctx, websocket.MessageText, data)
}

// read handles the server's messages until the socket closes.
func (p *participant) read() {
	for {
		_, data, err := p.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m struct {
			Type, Call, State, SDP, Self, Dominant string
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		p.handle(m.Type, m.Call, m.State, m.SDP, m.Self, m.Dominant)
	}
}

func (p *participant) handle(typ, call, state, sdp, self, dominant string) {
	switch typ {
	case "answer":
		p.call = call
		_ = p.client.Answer(sdp)
	case "offer":
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if ans, err := p.client.AnswerOffer(ctx, sdp); err == nil {
			p.send(map[string]any{"type": "answer", "call": call, "sdp": ans})
		}
	case "conference":
		p.self = self
	case "call-state":
		if state == "connected" {
			close(p.connected)
		}
	case "speakers":
		p.mu.Lock()
		if dominant != p.dominant {
			p.dominant = dominant
			p.dominants = append(p.dominants, stamped{dominant, time.Now()})
		}
		p.mu.Unlock()
	}
}

// firstDominantAfter is when this participant learned that id dominates,
// at or after t.
func (p *participant) firstDominantAfter(id string, t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.dominants {
		if s.id == id && !s.at.Before(t) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

func (p *participant) close() {
	_ = p.conn.Close(websocket.StatusNormalClosure, "")
	_ = p.client.Close()
	p.wg.Wait()
}
