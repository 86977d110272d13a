package web

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// An operator's drain from the admin page or its JSON API (docs/cluster.md,
// "Drain"): the same state SIGTERM sets — /readyz 503 "draining", new calls
// and room members refused with "draining", xphone_draining 1, the flag in
// the node's heartbeat — but the process keeps running, so the operator
// can wait for its calls to end, upgrade it, or take it back into service.

// ErrShuttingDown: the drain was begun by SIGTERM and ends with the
// process; it cannot be cancelled.
var ErrShuttingDown = errors.New("web: the node is shutting down")

// Drainer starts and cancels an operator's drain of this node.
type Drainer interface {
	// SetAdminDrain drains this node (true) as SIGTERM does, without
	// stopping it, or takes it back into service (false). ErrShuttingDown
	// when cancelling a drain SIGTERM began.
	SetAdminDrain(on bool) error
}

// drainBody is the JSON API's request and reply.
type drainBody struct {
	Draining *bool `json:"draining"`
}

// adminAPIOnly lets admin extensions through to the JSON API; others get
// 401 or 403 (logged), never a redirect.
func (s *Server) adminAPIOnly(c *gin.Context) bool {
	ext, _, err := s.sessionExt(c)
	switch {
	case err != nil:
		c.JSON(http.StatusUnauthorized, gin.H{"code": "no_session", "error": "log in as an admin extension"})
		return false
	case !ext.Admin:
		s.security.Warn("security: admin page refused", "remote", c.ClientIP(), "ext", ext.Number, "path", c.Request.URL.Path)
		c.JSON(http.StatusForbidden, gin.H{"code": "not_admin", "error": "admin extensions only"})
		return false
	}
	return true
}

// adminClusterAPI answers the cluster as the admin page shows it: every
// live node with its load and draining flag.
func (s *Server) adminClusterAPI(c *gin.Context) {
	if !s.adminAPIOnly(c) {
		return
	}
	if s.status == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "no status source"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	v := s.status.Status(ctx).Cluster
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"self": v.Self, "healthy": v.Healthy, "draining": s.Draining(), "nodes": v.Nodes, "error": v.Error})
}

// adminDrainAPI starts or cancels a drain: POST {"draining": true|false}.
// JSON only, which with the SameSite=Strict session keeps cross-site
// forms out.
func (s *Server) adminDrainAPI(c *gin.Context) {
	if !s.adminAPIOnly(c) {
		return
	}
	var body drainBody
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 1<<10)
	if mt != "application/json" || c.ShouldBindJSON(&body) != nil || body.Draining == nil {
		c.JSON(http.StatusBadRequest, gin.H{"code": "bad_request", "error": `send JSON {"draining": true|false}`})
		return
	}
	if code, err := s.setAdminDrain(c, *body.Draining); err != nil {
		c.JSON(code, gin.H{"code": "shutting_down", "error": err.Error(), "draining": s.Draining()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"draining": s.Draining()})
}

// adminDrainForm is the admin page's button: a form post from this
// server's own page (Origin checked), then back to the page.
func (s *Server) adminDrainForm(c *gin.Context) {
	if !s.adminOnly(c) {
		return
	}
	if problem := s.originProblem(c.Request); problem != "" {
		s.security.Warn("security: admin form refused", "remote", c.ClientIP(), "problem", problem)
		c.String(http.StatusForbidden, "refused: %s", problem)
		return
	}
	on := c.PostForm("draining") == "on"
	if code, err := s.setAdminDrain(c, on); err != nil {
		c.String(code, "%s", s.textsFor(c).T("admin.drain_shutting_down"))
		return
	}
	c.Redirect(http.StatusSeeOther, "./")
}

// setAdminDrain asks the Drainer, logging who did it.
func (s *Server) setAdminDrain(c *gin.Context, on bool) (int, error) {
	if s.drainer == nil {
		return http.StatusServiceUnavailable, errors.New("web: no drain control")
	}
	ext, _, _ := s.sessionExt(c)
	if err := s.drainer.SetAdminDrain(on); err != nil {
		return http.StatusConflict, err
	}
	s.log.Info("admin: drain set", "draining", on, "ext", ext.Number, "remote", c.ClientIP())
	return http.StatusOK, nil
}
