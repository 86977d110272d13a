package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// errJanus is a Janus API request that failed.
var errJanus = errors.New("janus")

// janusSession is one Janus API session (as one browser tab holds), over
// the HTTP transport: requests by POST, events by a long poll.
type janusSession struct {
	base string // http://127.0.0.1:PORT/janus
	id   uint64
	hc   *http.Client

	mu      sync.Mutex
	waiters map[string]chan janusMsg // by transaction
	stop    chan struct{}
	wg      sync.WaitGroup
}

// janusMsg is the part of Janus's replies and events confload reads.
type janusMsg struct {
	Janus       string `json:"janus"`
	Transaction string `json:"transaction"`
	Sender      uint64 `json:"sender"`
	Data        struct {
		ID uint64 `json:"id"`
	} `json:"data"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
	PluginData struct {
		Data map[string]any `json:"data"`
	} `json:"plugindata"`
	JSEP *struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	} `json:"jsep"`
}

func newJanusSession(ctx context.Context, base string) (*janusSession, error) {
	s := &janusSession{base: base, hc: &http.Client{Timeout: 40 * time.Second},
		waiters: map[string]chan janusMsg{}, stop: make(chan struct{})}
	m, err := s.post(ctx, base, map[string]any{"janus": "create"})
	if err != nil {
		return nil, err
	}
	s.id = m.Data.ID
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.poll() }()
	return s, nil
}

// attach attaches a VideoRoom handle and returns its id.
func (s *janusSession) attach(ctx context.Context) (uint64, error) {
	m, err := s.post(ctx, fmt.Sprintf("%s/%d", s.base, s.id), map[string]any{"janus": "attach", "plugin": "janus.plugin.videoroom"})
	return m.Data.ID, err
}

// message sends body (and jsep, if any) to handle h. A synchronous
// request returns its reply; an asynchronous one its event (with jsep).
func (s *janusSession) message(ctx context.Context, h uint64, body map[string]any, jsep map[string]string) (janusMsg, error) {
	req := map[string]any{"janus": "message", "body": body}
	if jsep != nil {
		req["jsep"] = jsep
	}
	tx := newTransaction()
	ch := make(chan janusMsg, 1)
	s.mu.Lock()
	s.waiters[tx] = ch
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.waiters, tx); s.mu.Unlock() }()
	req["transaction"] = tx
	m, err := s.postRaw(ctx, fmt.Sprintf("%s/%d/%d", s.base, s.id, h), req)
	if err != nil || m.Janus != "ack" {
		return m, err
	}
	select {
	case m = <-ch:
		return m, pluginError(m)
	case <-ctx.Done():
		return m, fmt.Errorf("%w: no event for %v: %w", errJanus, body["request"], ctx.Err())
	}
}

// trickleDone tells Janus that handle h's SDP held every candidate (the
// fake browsers gather before they offer or answer): Janus otherwise waits
// for trickled ones before it takes ICE as failed or done.
func (s *janusSession) trickleDone(ctx context.Context, h uint64) error {
	_, err := s.post(ctx, fmt.Sprintf("%s/%d/%d", s.base, s.id, h),
		map[string]any{"janus": "trickle", "candidate": map[string]any{"completed": true}})
	return err
}

func pluginError(m janusMsg) error {
	if e, ok := m.PluginData.Data["error"]; ok {
		return fmt.Errorf("%w: videoroom: %v", errJanus, e)
	}
	return nil
}

func (s *janusSession) post(ctx context.Context, url string, req map[string]any) (janusMsg, error) {
	req["transaction"] = newTransaction()
	m, err := s.postRaw(ctx, url, req)
	if err == nil {
		err = pluginError(m)
	}
	return m, err
}

func (s *janusSession) postRaw(ctx context.Context, url string, req map[string]any) (janusMsg, error) {
	var m janusMsg
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return m, err
	}
	resp, err := s.hc.Do(hr)
	if err != nil {
		return m, fmt.Errorf("%w: %v: %w", errJanus, req["janus"], err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, fmt.Errorf("%w: %v reply: %w", errJanus, req["janus"], err)
	}
	if m.Error != nil {
		return m, fmt.Errorf("%w: %v: %d %s", errJanus, req["janus"], m.Error.Code, m.Error.Reason)
	}
	return m, nil
}

// poll long-polls the session's events (which also keeps it alive) and
// hands each event to the request waiting for its transaction.
func (s *janusSession) poll() {
	url := fmt.Sprintf("%s/%d?maxev=10", s.base, s.id)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		resp, err := s.hc.Get(url)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var evs []janusMsg
		_ = json.NewDecoder(resp.Body).Decode(&evs)
		resp.Body.Close()
		for _, ev := range evs {
			s.mu.Lock()
			ch := s.waiters[ev.Transaction]
			s.mu.Unlock()
			if ch != nil && ev.Janus == "event" {
				select {
				case ch <- ev:
				default:
				}
			}
		}
	}
}

// close destroys the session and waits for its poll, which Janus ends.
func (s *janusSession) close() {
	close(s.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.post(ctx, fmt.Sprintf("%s/%d", s.base, s.id), map[string]any{"janus": "destroy"})
	s.hc.CloseIdleConnections()
	s.wg.Wait()
}

func newTransaction() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
