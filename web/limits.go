package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"xphone/configs"
)

// Close codes of the signalling socket beyond RFC 6455's (docs/signaling.md):
// the server ended the tab on purpose; the browser shows the reason and does
// not reconnect.
const (
	closeTooManyTabs     websocket.StatusCode = 4409 // limits.per_extension.tabs reached
	closeTooManyMessages websocket.StatusCode = 4429 // limits.websocket rate exceeded
)

var (
	errClosing     = errors.New("web: server shutting down")
	errTooManyTabs = errors.New("web: too many tabs")
)

// Limits returns the caps in force (limits.* of the running config).
func (s *Server) Limits() configs.Limits { return *s.limits.Load() }

// SetLimits applies reloaded caps: new tabs, calls and logins use them at
// once; what is already open stays.
func (s *Server) SetLimits(l configs.Limits) { s.limits.Store(&l) }

// reserveLeg counts one more live call leg for ext, unless that reaches
// limits.per_extension.calls; the leg is given back with releaseLeg.
func (s *Server) reserveLeg(ext string) (ok bool, limit int) {
	limit = s.Limits().PerExtension.Calls
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.legsOf[ext] >= limit {
		return false, limit
	}
	s.legsOf[ext]++
	return true, limit
}

func (s *Server) releaseLeg(ext string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.legsOf[ext]--; s.legsOf[ext] <= 0 {
		delete(s.legsOf, ext)
	}
}

// limitReached logs a cap refusal on the security stream. fail2ban's filter
// ignores these lines: the user is logged in, banning the address is not
// the answer (docs/security.md).
func (s *Server) limitReached(what string, limit int, ext, remote string) {
	if ok, more := s.secLog.allow("limit\x00" + what + "\x00" + ext); ok {
		s.security.Warn("security: limit reached", "remote", remote, "ext", ext, "limit", what, "max", limit, "suppressed", more)
	}
}

// tooManyTabsText is the close reason a refused tab shows (≤ 123 bytes).
func tooManyTabsText(limit int) string {
	return fmt.Sprintf("Too many Xphone tabs open for this extension (limit %d). Close one and reload.", limit)
}

// rateLimited logs a tab closed for sending too fast.
func (s *Server) rateLimited(t *tab, ws configs.WebSocketLimits) {
	s.stats.WSRateLimited.Add(1)
	if ok, more := s.secLog.allow("wsrate\x00" + t.remote); ok {
		s.security.Warn("security: websocket rate limit", "remote", t.remote, "ext", t.ext.Number,
			"per_second", ws.MessagesPerSecond, "burst", ws.Burst, "suppressed", more)
	}
}

// tooManyMessagesText is the close reason of a rate-limited tab.
const tooManyMessagesText = "Too many messages: the page sent faster than the server allows."

// refuseOrigin answers an upgrade whose Origin is not this server's.
func (s *Server) refuseOrigin(c *gin.Context, ext, problem string) {
	s.stats.WSOriginRefused.Add(1)
	if ok, more := s.secLog.allow("origin\x00" + c.ClientIP()); ok {
		s.security.Warn("security: websocket refused", "remote", c.ClientIP(), "ext", ext, "reason", problem,
			"origin", clip(c.GetHeader("Origin"), 100), "suppressed", more)
	}
	c.JSON(http.StatusForbidden, gin.H{"error": "WebSocket refused: " + problem})
}

// refuseTab closes a socket for which tabFor made no tab, with a reason the
// page shows.
func (s *Server) refuseTab(conn *websocket.Conn, err error, ext, remote string, limit int) {
	if errors.Is(err, errTooManyTabs) {
		s.stats.LimitTabs.Add(1)
		s.limitReached("tabs", limit, ext, remote)
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
