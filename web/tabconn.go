package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"

	"xphone/sfu"
)

// outQueue is how many messages may wait for a slow socket before it is
// dropped; call control never blocks on a browser.
const outQueue = 64

// idleLinger is how long a detached tab without calls waits for its browser
// to come back (a call ringing it keeps ringing meanwhile).
const idleLinger = 10 * time.Second

// tabConn is one WebSocket of a tab. A tab has at most one attached; a
// reconnecting browser gets a new one (docs/signaling.md, "Reconnecting").
//
// Its writer is a goroutine that runs only while messages wait: queue
// starts one when there is none, and it ends when the queue is empty. When
// the socket's context ends, its closer (one more short goroutine) waits
// for the writer, writes what is still queued if asked to, and closes the
// socket; wait waits for it.
type tabConn struct {
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the closer has closed the socket

	mu sync.Mutex
	// out is what waits to be written; writing says a writer runs.
	// closed: the closer runs, so no writer starts any more.
	out     [][]byte
	writing bool
	closed  bool
	writer  sync.WaitGroup
	// closeCode and closeReason are what the closer closes with; flush
	// makes it write what is queued first (shutdown). Set by stop.
	closeCode   websocket.StatusCode
	closeReason string
	flush       bool
}

// stop ends the socket: the writer closes it with code and reason, after
// writing what is queued when flush is set. The first stop's close wins.
func (c *tabConn) stop(code websocket.StatusCode, reason string, flush bool) {
	c.mu.Lock()
	if c.ctx.Err() == nil {
		c.closeCode, c.closeReason, c.flush = code, reason, flush
	}
	c.mu.Unlock()
	c.cancel()
}

func newTabConn(ws *websocket.Conn) *tabConn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &tabConn{ws: ws, ctx: ctx, cancel: cancel, done: make(chan struct{}), closeCode: websocket.StatusNormalClosure}
	context.AfterFunc(ctx, c.close)
	return c
}

// queue adds a message, starting a writer if none runs; a socket that
// cannot keep up is closed (its tab then waits for the browser to
// reconnect and resume).
func (c *tabConn) queue(msg []byte, log *slog.Logger) {
	c.mu.Lock()
	if c.closed || c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	if len(c.out) >= outQueue {
		c.mu.Unlock()
		log.Warn("tab too slow, dropping its socket")
		c.abort()
		return
	}
	c.out = append(c.out, msg)
	if !c.writing {
		c.writing = true
		c.writer.Add(1) // under mu, before close sets closed and waits
		go c.drain()
	}
	c.mu.Unlock()
}

// drain writes queued messages in order until none is left or the socket
// ends.
func (c *tabConn) drain() {
	defer c.writer.Done()
	for {
		msg := c.next()
		if msg == nil {
			return
		}
		if !write(c, msg) {
			c.abort()
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
	}
}

// next takes the oldest queued message, or nil (and the writer stops)
// when there is none or the socket is ending.
func (c *tabConn) next() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) == 0 || c.ctx.Err() != nil {
		c.writing = false
		return nil
	}
	msg := c.out[0]
	c.out[0] = nil
	c.out = c.out[1:]
	if len(c.out) == 0 {
		c.out = nil // the backing array goes with the burst
	}
	return msg
}

// close runs once the socket's context ends: it waits for the writer,
// writes what is queued if stop asked for it (shutdown), and closes the
// socket with the stop's code.
func (c *tabConn) close() {
	defer close(c.done)
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.writer.Wait()
	c.mu.Lock()
	code, reason, flush, rest := c.closeCode, c.closeReason, c.flush, c.out
	c.out = nil
	c.mu.Unlock()
	for _, msg := range rest {
		if !flush || !write(c, msg) {
			break
		}
	}
	_ = c.ws.Close(code, reason)
}

// wait waits until the socket was closed after its context ended.
func (c *tabConn) wait() { <-c.done }

// abort drops the socket at once, without a close handshake (the browser
// is not answering): closing first makes the writer's close a no-op
// instead of a wait for a close frame that will not come.
func (c *tabConn) abort() {
	_ = c.ws.CloseNow()
	c.cancel()
}

// helloMsg greets a socket. tab is what the browser reconnects with;
// resumed says the tab was found again, and calls are its live calls.
type helloMsg struct {
	Type    string      `json:"type"`
	Ext     string      `json:"ext"`
	Name    string      `json:"name"`
	Version int         `json:"version"`
	Tab     string      `json:"tab"`
	Resumed bool        `json:"resumed,omitempty"`
	Calls   []helloCall `json:"calls,omitempty"`
}

// helloCall is a live call of a resumed tab; req is the request id of the
// dial that placed it, so a browser that never got the reply can match it.
type helloCall struct {
	Call string `json:"call"`
	Req  string `json:"req,omitempty"`
}

// replayOrder is the order a resumed call's latest messages are sent in:
// the SDP answer first, the conference before its connected state.
var replayOrder = []string{"answer", "conference", "call-state", "hold-state", "peer-camera", "roster", "speakers", "video-slots", "meeting", "peer-screen"}

// attach makes c the tab's socket and greets it: a new tab gets hello; a
// resumed one first the ends of calls it may have missed, then hello with
// its live calls, then each call's latest state and any pending offer.
// It returns the socket c replaced, if any.
func (t *tab) attach(c *tabConn, resumed bool) *tabConn {
	t.mu.Lock()
	prev := t.conn
	t.conn = c
	if t.linger != nil {
		t.linger.Stop()
		t.linger = nil
	}
	hello := helloMsg{Type: "hello", Ext: t.ext.Number, Name: t.ext.Name, Version: protocolVersion, Tab: t.id, Resumed: resumed}
	var replay [][]byte
	var legs []sfu.Leg
	if resumed {
		replay = append(replay, t.recent...)
		for id, tc := range t.calls {
			hello.Calls = append(hello.Calls, helloCall{Call: id, Req: tc.req})
			legs = append(legs, tc.leg)
		}
	}
	t.mu.Unlock()
	for _, msg := range replay {
		c.queue(msg, t.log)
	}
	c.queue(encode(hello), t.log)
	t.srv.desk.greet(t, c)
	if resumed {
		t.replayCalls(c, legs)
	}
	setSignalling(legs, true)
	return prev
}

// replayCalls sends each live call's latest messages and pending offer.
func (t *tab) replayCalls(c *tabConn, legs []sfu.Leg) {
	t.mu.Lock()
	var msgs [][]byte
	for id, tc := range t.calls {
		for _, kind := range replayOrder {
			if m := tc.last[kind]; m != nil {
				msgs = append(msgs, m)
			}
		}
		if tc.chat != nil {
			msgs = append(msgs, encode(chatMsg{Type: "chat", Call: id, Messages: tc.chat, History: true}))
		}
		if w, ok := tc.leg.(*sfu.WebRTCLeg); ok {
			if sdp := w.PendingOffer(); sdp != "" {
				msgs = append(msgs, encode(offerMsg{Type: "offer", Call: id, SDP: sdp}))
			}
		}
	}
	t.mu.Unlock()
	for _, m := range msgs {
		c.queue(m, t.log)
	}
	for _, rg := range t.srv.registry.ringsOf(t) {
		c.queue(rg.incomingMsg(), t.log)
	}
}

// detach notes that socket c ended. It reports false when c was not the
// tab's socket any more (a newer one took over).
func (t *tab) detach(c *tabConn) bool {
	t.mu.Lock()
	if t.conn != c {
		t.mu.Unlock()
		return false
	}
	t.conn = nil
	legs := make([]sfu.Leg, 0, len(t.calls))
	for _, tc := range t.calls {
		legs = append(legs, tc.leg)
	}
	t.mu.Unlock()
	setSignalling(legs, false)
	t.lingerIfIdle()
	return true
}

// lingerIfIdle ends a detached tab without calls after idleLinger, unless
// its browser comes back first.
func (t *tab) lingerIfIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil || len(t.calls) > 0 || t.linger != nil || t.ctx.Err() != nil {
		return
	}
	t.linger = time.AfterFunc(idleLinger, func() {
		t.mu.Lock()
		idle := t.conn == nil && len(t.calls) == 0
		t.mu.Unlock()
		if idle {
			t.log.Info("tab did not come back")
			t.srv.finishTab(t, sfu.ReasonConnectionLost, websocket.StatusNormalClosure, "")
		}
	})
}

// setSignalling tells browser legs whether their tab's socket is attached.
func setSignalling(legs []sfu.Leg, up bool) {
	for _, l := range legs {
		if w, ok := l.(*sfu.WebRTCLeg); ok {
			w.SetSignalling(up)
		}
	}
}

// closeConn ends the attached socket with code and reason; flush writes
// what is queued first.
func (t *tab) closeConn(code websocket.StatusCode, reason string, flush bool) {
	t.mu.Lock()
	c := t.conn
	t.mu.Unlock()
	if c != nil {
		c.stop(code, reason, flush)
	}
}
