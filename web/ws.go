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
	"xphone/sfu"
)

// maxMessage caps one signalling message; larger ones close the socket.
const maxMessage = 64 << 10

// writeTimeout bounds one WebSocket write.
const writeTimeout = 5 * time.Second

// serveWS upgrades an authenticated request and runs the tab until the
// socket closes, then hangs up its calls.
func (s *Server) serveWS(c *gin.Context) {
	ext, token, ok := s.sessionExt(c)
	if !ok {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "not logged in"})
		return
	}
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{OriginPatterns: s.cfg.HTTP.AllowedOrigins})
	if err != nil {
		s.security.Warn("security: websocket refused", "remote", c.ClientIP(), "ext", ext.Number, "err", err)
		return // Accept has written the error response
	}
	conn.SetReadLimit(maxMessage)
	t := newTab(s, ext, token, c.ClientIP())
	if !s.addTab(t) {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.removeTab(t)
	t.log.Info("tab connected", "remote", c.ClientIP())
	t.send(encode(helloMsg{Type: "hello", Ext: ext.Number, Name: ext.Name, Version: protocolVersion}))
	if s.presence != nil {
		unsubscribe := s.presence.Subscribe(func(p sfu.Presence) {
			t.send(encode(presenceMsg{Type: "presence", Numbers: []sfu.Presence{p}}))
		})
		defer unsubscribe()
		if all := s.presence.Snapshot(); len(all) > 0 {
			t.send(encode(presenceMsg{Type: "presence", Numbers: all}))
		}
	}
	s.runTab(t, conn)
	t.log.Info("tab closed")
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

func readLoop(t *tab, conn *websocket.Conn) {
	for {
		typ, data, err := conn.Read(t.ctx)
		if err != nil {
			if status := websocket.CloseStatus(err); status == -1 && !errors.Is(err, context.Canceled) {
				t.log.Debug("websocket read", "err", err)
			}
			return
		}
		var m inMsg
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
			t.sendError("", codeBadRequest, "messages must be JSON objects with a type")
			continue
		}
		t.handle(m)
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
