package web

import (
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// securityHeaders keeps the UI from being framed or fed foreign scripts.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; "+
		"style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Strict-Transport-Security", "max-age=31536000")
}

func (s *Server) routes() (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.CustomRecoveryWithWriter(io.Discard, s.recovered), securityHeaders)
	if err := e.SetTrustedProxies(nil); err != nil { // ClientIP is the peer address
		return nil, err
	}
	ui, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		return nil, err
	}
	p := s.prefix()
	e.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, p+"/") })
	s.opsRoutes(e)
	if !s.cfg.Xphone.Enabled {
		e.NoRoute(s.disabled)
		return e, nil
	}
	g := e.Group(p)
	g.POST("/api/login", s.login)
	g.POST("/api/logout", s.logout)
	g.GET("/api/session", s.session)
	g.GET("/ws", s.serveWS)
	g.GET("/admin/", s.admin)
	g.GET("/admin/recordings/:file", s.recordingFile)
	g.GET("/admin/api/cluster", s.adminClusterAPI)
	g.POST("/admin/api/drain", s.adminDrainAPI)
	g.POST("/admin/drain", s.adminDrainForm)
	g.GET("/admin", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, p+"/admin/") })
	files := http.StripPrefix(p, http.FileServer(http.FS(ui)))
	e.NoRoute(func(c *gin.Context) {
		path := c.Request.URL.Path
		if c.Request.Method != http.MethodGet || !strings.HasPrefix(path+"/", p+"/") || strings.HasPrefix(path, p+"/api/") {
			c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
			return
		}
		if path == p {
			c.Redirect(http.StatusMovedPermanently, p+"/")
			return
		}
		files.ServeHTTP(c.Writer, c.Request)
	})
	return e, nil
}

// recovered answers 500 after a handler panicked, and logs it.
func (s *Server) recovered(c *gin.Context, err any) {
	s.log.Error("handler panicked", "path", c.Request.URL.Path, "panic", err)
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
}

// disabledPage is the page every UI request gets while Xphone is off; its
// texts come from the request's catalogue.
var disabledPage = template.Must(template.New("disabled").Parse(`<!doctype html><html lang="{{.Lang}}"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;color:#333}
main{text-align:center}h1{font-weight:600}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Text}}</p></main></body></html>`))

// disabled answers every request while Xphone is switched off (SPEC F1).
func (s *Server) disabled(c *gin.Context) {
	if strings.Contains(c.Request.URL.Path, "/api/") || strings.HasSuffix(c.Request.URL.Path, "/ws") {
		s.apiError(c, http.StatusServiceUnavailable, codeDisabled)
		return
	}
	texts := s.textsFor(c)
	var page strings.Builder
	err := disabledPage.Execute(&page, map[string]string{"Lang": texts.Lang, "Title": texts.T("disabled.title"), "Text": texts.T("disabled.text")})
	if err != nil {
		s.log.Error("disabled page", "err", err)
	}
	c.Data(http.StatusServiceUnavailable, "text/html; charset=utf-8", []byte(page.String()))
}

// opsRoutes serves health and readiness, outside the UI path and whether
// or not Xphone is enabled. /metrics is served here only when metrics.listen
// is empty and metrics.token is set (docs/security.md); by default it has
// its own loopback listener (OpsHandler).
func (s *Server) opsRoutes(e *gin.Engine) {
	e.GET("/healthz", gin.WrapF(healthz))
	e.GET("/readyz", gin.WrapF(s.readyz))
	if s.metrics != nil && s.cfg.Metrics.Listen == "" && s.cfg.Metrics.Token != "" {
		e.GET("/metrics", gin.WrapH(s.metricsGuard(s.metrics)))
	}
}
