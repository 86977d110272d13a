package web

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"xphone/configs"
	"xphone/sfu"
	"xphone/web/auth"
)

// sessionCookie names the session token cookie.
const sessionCookie = "xphone_session"

// Error codes of the login API (docs/signaling.md); the UI translates them.
const (
	codeBadCredentials = "bad_credentials" // the same for an unknown extension and a wrong password
	codeNoAccess       = "no_access"       // the right password of an extension without Xphone access
	codeLockedOut      = "locked_out"
	codeTooManyAtOnce  = "too_many_at_once"
	codeStoreDown      = "store_down"
	codeDisabled       = "disabled"
	codeBadLogin       = "bad_request"
)

type loginBody struct {
	Ext      string `json:"ext"`
	Password string `json:"password"`
}

// login checks credentials under brute-force throttling (SPEC F7). The
// attempt is reserved before the password is checked, so parallel requests
// cannot pass the limits together (see auth.Throttle).
func (s *Server) login(c *gin.Context) {
	body, ok := s.readLogin(c)
	if !ok {
		return
	}
	ip := c.ClientIP()
	v := s.throttle.Reserve(throttleKey(ip), body.Ext)
	if v.Attempt == nil {
		s.refuseLogin(c, ip, body.Ext, v)
		return
	}
	defer v.Attempt.Release() // only if the check below panics
	s.sleep(v.Delay)
	ext, err := s.store.Load().Check(body.Ext, body.Password)
	if errors.Is(err, auth.ErrNoAccess) {
		// The right password: not a guess, so not counted against the
		// extension; the user learns why they cannot log in.
		s.stats.LoginsFailed.Add(1)
		s.security.Warn("security: login refused, no Xphone access", "remote", ip, "ext", body.Ext)
		s.apiError(c, http.StatusForbidden, codeNoAccess)
		return
	}
	if err != nil {
		v.Attempt.Fail()
		s.stats.LoginsFailed.Add(1)
		s.security.Warn("security: login failed", "remote", ip, "ext", body.Ext)
		s.apiError(c, http.StatusUnauthorized, codeBadCredentials)
		return
	}
	v.Attempt.Succeed()
	s.stats.LoginsOK.Add(1)
	token, err := s.startSession(c, ext)
	if err != nil {
		s.log.Error("cannot store a login session", "ext", ext.Number, "err", err)
		s.apiError(c, http.StatusServiceUnavailable, codeStoreDown)
		return
	}
	s.setSession(c, token)
	s.log.Info("login", "remote", ip, "ext", ext.Number)
	c.JSON(http.StatusOK, gin.H{"ext": ext.Number, "name": ext.Name})
}

// throttleKey is the address the login throttle counts: an IPv4 address,
// or the /64 of an IPv6 one, since one IPv6 host usually has a whole /64
// to send from.
func throttleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// refuseLogin answers 429 without checking the password. The security line
// is rate-limited per address and scope: the first refusal is logged, then
// one line a minute with the number of refusals in between.
func (s *Server) refuseLogin(c *gin.Context, ip, ext string, v auth.Verdict) {
	s.stats.LoginsLocked.Add(1)
	if ok, more := s.secLog.allow("login\x00" + string(v.Refused) + "\x00" + ip); ok {
		s.security.Warn("security: login locked out", "remote", ip, "ext", ext, "scope", string(v.Refused),
			"retry_after", v.RetryAfter.Round(time.Second).String(), "suppressed", more)
	}
	secs := int(math.Ceil(v.RetryAfter.Seconds()))
	c.Header("Retry-After", strconv.Itoa(secs))
	// Under a minute it is attempts still being checked, not a lock-out.
	code, n := codeLockedOut, (secs+59)/60
	if secs < 60 {
		code, n = codeTooManyAtOnce, secs
	}
	c.JSON(http.StatusTooManyRequests, gin.H{"code": code, "retry_after": secs,
		"error": s.textsFor(c).N("login.error."+code, n)})
}

// startSession creates ext's session for this login. Beyond
// limits.per_extension.sessions the least recently used sessions end
// first, with their tabs (whose pages then find the session gone and show
// the login form); the new session is never one of them.
func (s *Server) startSession(c *gin.Context, ext configs.Extension) (string, error) {
	limit := s.Limits().PerExtension.Sessions
	ended, n, err := s.sessions.Trim(ext.Number, limit-1)
	if err != nil {
		return "", err
	}
	if n > 0 {
		s.stats.LimitSessions.Add(uint64(n))
		s.limitReached("sessions", limit, ext.Number, c.ClientIP())
		s.closeTabs(func(t *tab) bool { return ended(t.session) }, sfu.ReasonHangup, websocket.StatusNormalClosure, "logged out")
	}
	return s.sessions.Create(ext.Number)
}

// readLogin decodes a small JSON body; JSON only, which with SameSite=Strict
// keeps cross-site form posts out.
func (s *Server) readLogin(c *gin.Context) (loginBody, bool) {
	var body loginBody
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "application/json" {
		c.JSON(http.StatusUnsupportedMediaType, gin.H{"code": codeBadLogin, "error": "send JSON"})
		return body, false
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	if err := c.ShouldBindJSON(&body); err != nil {
		s.apiError(c, http.StatusBadRequest, codeBadLogin)
		return body, false
	}
	body.Ext = strings.TrimSpace(body.Ext)
	if body.Ext == "" || len(body.Ext) > 32 || len(body.Password) > 256 {
		s.apiError(c, http.StatusUnauthorized, codeBadCredentials)
		return body, false
	}
	return body, true
}

func (s *Server) setSession(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: token, Path: s.cfg.HTTP.Path,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

// logout ends the session and every tab it has open (SPEC F7).
func (s *Server) logout(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil && token != "" {
		if err := s.sessions.Delete(token); err != nil {
			s.log.Error("cannot delete a login session", "err", err)
		}
		s.closeTabs(func(t *tab) bool { return t.session == token }, sfu.ReasonHangup, websocket.StatusNormalClosure, "logged out")
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: "", Path: s.cfg.HTTP.Path, MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
	c.Status(http.StatusNoContent)
}

func (s *Server) session(c *gin.Context) {
	ext, _, err := s.sessionExt(c)
	if err != nil {
		s.refuseSession(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"ext": ext.Number, "name": ext.Name})
}

// refuseSession answers a request whose session did not resolve: 401 when
// there is none, 503 when the store failed (the UI then retries instead of
// showing the login form).
func (s *Server) refuseSession(c *gin.Context, err error) {
	if errors.Is(err, auth.ErrSessionStore) {
		// The user is not logged out: the server is in trouble.
		s.apiError(c, http.StatusServiceUnavailable, codeStoreDown)
		return
	}
	c.JSON(http.StatusUnauthorized, gin.H{"code": "not_logged_in", "error": "not logged in"})
}

// sessionExt resolves the request's session to an extension that may still
// use Xphone: auth.ErrNoSession when there is none, auth.ErrSessionStore
// when the store failed (logged here).
func (s *Server) sessionExt(c *gin.Context) (configs.Extension, string, error) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		return configs.Extension{}, "", auth.ErrNoSession
	}
	number, err := s.sessions.Get(token)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			s.log.Error("cannot read a login session", "err", err)
		}
		return configs.Extension{}, "", err
	}
	ext, ok := s.store.Load().Lookup(number)
	if !ok || !ext.Xphone {
		_ = s.sessions.Delete(token)
		return configs.Extension{}, "", auth.ErrNoSession
	}
	return ext, token, nil
}
