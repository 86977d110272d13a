package web

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"xphone/sfu"
)

// writeTimeout bounds one WebSocket write.
const writeTimeout = 5 * time.Second

// serveWS upgrades an authenticated request from this server's own page
// and runs one socket of a tab: a new tab, or (with ?tab=ID of this
// session) the tab the browser had before its socket dropped, resumed with
// its calls.
func (s *Server) serveWS(c *gin.Context) {
	ext, token, err := s.sessionExt(c)
	if err != nil {
		s.refuseSession(c, err)
		return
	}
	if problem := s.originProblem(c.Request); problem != "" {
		s.refuseOrigin(c, ext.Number, problem)
		return
	}
	// The Origin was checked above, more strictly than Accept would.
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Info("websocket upgrade failed", "remote", c.ClientIP(), "ext", ext.Number, "err", err)
		return // Accept has written the error response
	}
	limits := s.Limits()
	conn.SetReadLimit(int64(limits.WebSocket.MaxMessageBytes))
	t, resumed, err := s.tabFor(c.Query("tab"), ext, token, c.ClientIP())
	if err != nil {
		s.refuseTab(conn, err, ext.Number, c.ClientIP(), limits.PerExtension.Tabs)
		return
	}
	t.log.Info("tab connected", "remote", c.ClientIP(), "resumed", resumed)
	s.runConn(t, newTabConn(conn), resumed)
}

// runConn reads one socket until it ends, with its pinger beside it; the
// socket's writer runs only while there is something to write (tabConn). A close by the browser (1000, or 1001 when the page goes away)
// ends the tab and its calls; any other end (a network blip, a missed
// keep-alive) leaves the tab waiting for the browser to reconnect.
func (s *Server) runConn(t *tab, c *tabConn, resumed bool) {
	s.connsRun.Add(1)
	defer s.connsRun.Done()
	if prev := t.attach(c, resumed); prev != nil {
		prev.stop(websocket.StatusPolicyViolation, "replaced by a newer connection", false)
	}
	defer s.watchPresence(t)()
	ping := s.startPinger(t, c)
	status := readLoop(t, c)
	c.cancel()
	ping.stop()
	c.wait()
	_ = c.ws.CloseNow()
	if !t.detach(c) {
		return // a newer socket of the tab took over
	}
	if status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway {
		t.log.Info("tab closed")
		s.finishTab(t, sfu.ReasonHangup, websocket.StatusNormalClosure, "")
		return
	}
	if status == closeTooManyMessages { // closed by us: the page does not come back
		s.finishTab(t, sfu.ReasonHangup, closeTooManyMessages, tooManyMessagesText)
		return
	}
	t.log.Info("tab socket lost; its calls wait for the browser to reconnect", "status", int(status))
}

// readLoop reads until the socket ends and returns the browser's close
// status (-1 when the socket failed without one), or closeTooManyMessages
// when the tab sent faster than its token bucket (limits.websocket) allows.
// It reads without a deadline of its own: the writer's close handshake or a
// failure ends it.
func readLoop(t *tab, c *tabConn) websocket.StatusCode {
	ws := t.srv.Limits().WebSocket
	bucket := newTokenBucket(ws.MessagesPerSecond, ws.Burst, t.srv.now())
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			t.readEnded(err)
			return websocket.CloseStatus(err)
		}
		if !bucket.take(t.srv.now()) {
			t.srv.rateLimited(t, ws)
			c.stop(closeTooManyMessages, tooManyMessagesText, false)
			return closeTooManyMessages
		}
		t.receive(typ, data)
	}
}

// receive decodes and handles one client message (docs/signaling.md).
func (t *tab) receive(typ websocket.MessageType, data []byte) {
	var m inMsg
	if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
		t.sendError("", codeBadRequest, "messages must be JSON objects with a type")
		return
	}
	t.handle(m)
}

// readEnded logs an oversized message, which ended the socket (1009).
func (t *tab) readEnded(err error) {
	if !errors.Is(err, websocket.ErrMessageTooBig) {
		return
	}
	t.srv.stats.WSTooBig.Add(1)
	if ok, more := t.srv.secLog.allow("toobig\x00" + t.remote); ok {
		t.srv.security.Warn("security: websocket message too big", "remote", t.remote, "ext", t.ext.Number,
			"max_bytes", t.srv.Limits().WebSocket.MaxMessageBytes, "suppressed", more)
	}
}

func write(c *tabConn, msg []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, msg) == nil
}

// pinger drops a socket whose browser stops answering pings. The tab and
// its calls stay: whether the party is gone is the media's to say. It
// runs from a timer, so a socket costs no goroutine between pings.
type pinger struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	running sync.WaitGroup // a ping in flight
}

// startPinger pings c's browser every pingInterval until stop.
func (s *Server) startPinger(t *tab, c *tabConn) *pinger {
	p := &pinger{}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(s.pingInterval, func() { p.ping(s, t, c) })
	return p
}

// ping runs on the timer's goroutine: one ping, then the next is armed.
func (p *pinger) ping(s *Server, t *tab, c *tabConn) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.running.Add(1) // before stop's Wait: stopped is set under the same lock
	p.mu.Unlock()
	defer p.running.Done()
	ctx, cancel := context.WithTimeout(c.ctx, s.pingTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil && c.ctx.Err() == nil {
		t.log.Info("browser stopped answering pings", "err", err)
		c.abort()
		return
	}
	p.mu.Lock()
	if !p.stopped {
		p.timer.Reset(s.pingInterval)
	}
	p.mu.Unlock()
}

// stop ends the pings and waits for one in flight (the socket's context
// is cancelled first, which ends it).
func (p *pinger) stop() {
	p.mu.Lock()
	p.stopped = true
	p.timer.Stop()
	p.mu.Unlock()
	p.running.Wait()
}
