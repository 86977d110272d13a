package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
)

// writeTimeout bounds one WebSocket write.
const writeTimeout = 5 * time.Second

// serveWS upgrades an authenticated request from this server's own page
// and runs the tab until the socket closes, then hangs up its calls.
func (s *Server) serveWS(c *gin.Context) {
	ext, token, ok := s.sessionExt(c)
	if !ok {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "not logged in"})
		return
	}
	if problem := s.originProblem(c.Request); problem != "" {
		s.stats.WSOriginRefused.Add(1)
		if ok, more := s.secLog.allow("origin\x00" + c.ClientIP()); ok {
			s.security.Warn("security: websocket refused", "remote", c.ClientIP(), "ext", ext.Number, "reason", problem,
				"origin", clip(c.GetHeader("Origin"), 100), "suppressed", more)
		}
		c.JSON(http.StatusForbidden, gin.H{"error": "WebSocket refused: " + problem})
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
	t := newTab(s, ext, token, c.ClientIP())
	if err := s.addTab(t); err != nil {
		s.refuseTab(t, conn, err, limits.PerExtension.Tabs)
		return
	}
	defer s.removeTab(t)
	t.log.Info("tab connected", "remote", c.ClientIP())
	t.send(encode(helloMsg{Type: "hello", Ext: ext.Number, Name: ext.Name, Version: protocolVersion}))
	s.runTab(t, conn)
	t.log.Info("tab closed")
}

// refuseTab closes a socket that addTab refused, with a reason the page shows.
func (s *Server) refuseTab(t *tab, conn *websocket.Conn, err error, limit int) {
	t.cancel()
	if errors.Is(err, errTooManyTabs) {
		s.stats.LimitTabs.Add(1)
		s.limitReached("tabs", limit, t.ext.Number, t.remote)
		_ = conn.Close(closeTooManyTabs, tooManyTabsText(limit))
		return
	}
	_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
}

// clip shortens an untrusted value for a log line.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// runTab owns the tab's writer and pinger and reads until the socket ends.
func (s *Server) runTab(t *tab, conn *websocket.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); writeLoop(t, conn) }()
	go func() { defer wg.Done(); s.pingLoop(t, conn) }()
	readLoop(t, conn)
	t.cancel()
	s.registry.forgetTab(t)
	t.hangupAll()
	wg.Wait()
	_ = conn.CloseNow()
}

// readLoop reads the tab's messages until the socket ends. Each message
// takes a token from the tab's bucket (limits.websocket): a tab that sends
// faster is closed with 4429.
func readLoop(t *tab, conn *websocket.Conn) {
	ws := t.srv.Limits().WebSocket
	bucket := newTokenBucket(ws.MessagesPerSecond, ws.Burst, t.srv.now())
	for {
		typ, data, err := conn.Read(t.ctx)
		if err != nil {
			t.readEnded(err)
			return
		}
		if !bucket.take(t.srv.now()) {
			t.srv.rateLimited(t, ws)
			_ = conn.Close(closeTooManyMessages, "Too many messages: the page sent faster than the server allows.")
			return
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

// readEnded logs why the socket's read side ended when it is news.
func (t *tab) readEnded(err error) {
	switch {
	case errors.Is(err, websocket.ErrMessageTooBig):
		t.srv.stats.WSTooBig.Add(1)
		if ok, more := t.srv.secLog.allow("toobig\x00" + t.remote); ok {
			t.srv.security.Warn("security: websocket message too big", "remote", t.remote, "ext", t.ext.Number,
				"max_bytes", t.srv.Limits().WebSocket.MaxMessageBytes, "suppressed", more)
		}
	case websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled):
		t.log.Debug("websocket read", "err", err)
	}
}

func writeLoop(t *tab, conn *websocket.Conn) {
	for {
		select {
		case <-t.ctx.Done():
			_ = conn.Close(websocket.StatusNormalClosure, "")
			return
		case msg := <-t.out:
			ctx, cancel := context.WithTimeout(t.ctx, writeTimeout)
			err := conn.Write(ctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				t.cancel()
				_ = conn.CloseNow()
				return
			}
		}
	}
}

// pingLoop closes the tab when the browser stops answering pings, so a
// killed browser's calls end within PingInterval+PingTimeout.
func (s *Server) pingLoop(t *tab, conn *websocket.Conn) {
	tick := time.NewTicker(s.pingInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(t.ctx, s.pingTimeout)
		err := conn.Ping(ctx)
		cancel()
		if err != nil && t.ctx.Err() == nil {
			t.log.Info("browser stopped answering pings", "err", err)
			t.cancel()
			_ = conn.CloseNow()
			return
		}
	}
}
