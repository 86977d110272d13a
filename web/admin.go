package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"xphone/cluster"
	"xphone/sfu"
	"xphone/sfu/recorder"
)

// StatusSource reports what the admin status page shows.
type StatusSource interface {
	Status(ctx context.Context) Status
}

// Status is the admin page's content.
type Status struct {
	Started      time.Time
	Calls        []sfu.CallInfo
	Rooms        []sfu.RoomInfo
	Reloads      []ReloadView
	NeedsRestart []string // changed sections waiting for a restart
	TabsOpen     int64
	Trunks       []TrunkView
	Presence     []sfu.Presence // PBX phones the trunks watch
	// Recordings are the finished and running recordings, newest first.
	Recordings      []recorder.Info
	RecordingsError string // why they cannot be listed
	Cluster         ClusterView
}

// ClusterView is the cluster on the admin page: every live node with its
// load; a single node shows itself alone.
type ClusterView struct {
	Self    string
	Healthy bool // Redis reachable (always true for a single node)
	Nodes   []cluster.NodeInfo
	Error   string // why the nodes cannot be listed
	// Draining: this node drains (SIGTERM or an admin); the page offers to
	// start or cancel it.
	Draining bool
}

// RecordingFiles finds a recording's file for the admin page's download.
type RecordingFiles interface {
	// RecordingFile returns the path of a recording's file by its name;
	// an error for any name that is not a recording's.
	RecordingFile(name string) (string, error)
}

// ReloadView is one config reload on the page.
type ReloadView struct {
	At                                     time.Time
	OK                                     bool
	Errors, Applied, NeedsRestart, Removed []string
}

// TrunkView is one SIP trunk's registration state: State is static,
// registered (Registrations times), not_registered (Error says why),
// registering, or standby (node Holder of the cluster registers it); the
// page shows it in its reader's language.
type TrunkView struct {
	Name, State   string
	Registrations int
	Error         string
	Holder        string
}

//go:embed admin.html
var adminFiles embed.FS

// adminPage is the status page's template; each request executes a clone
// with the texts of its reader's language ("t", "n", "lang").
var adminPage = template.Must(template.New("admin.html").Funcs(template.FuncMap{
	"t":       func(string, ...any) string { return "" },
	"n":       func(string, any) string { return "" },
	"lang":    func() string { return "" },
	"join":    strings.Join,
	"ago":     func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
	"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"clock":   func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
	"length":  func(d time.Duration) string { return d.Round(time.Second).String() },
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
	"nameOf": func(r sfu.RoomInfo, id string) string {
		for _, m := range r.Members {
			if m.ID == id {
				return m.Number + " " + m.Name
			}
		}
		return ""
	},
}).ParseFS(adminFiles, "admin.html"))

// adminOnly lets logged-in admin extensions through; everyone else is
// sent to the login page or refused (and logged).
func (s *Server) adminOnly(c *gin.Context) bool {
	ext, _, err := s.sessionExt(c)
	if err != nil {
		c.Redirect(http.StatusFound, s.cfg.HTTP.Path+"?next=admin")
		return false
	}
	if !ext.Admin {
		texts := s.textsFor(c)
		s.security.Warn("security: admin page refused", "remote", c.ClientIP(), "ext", ext.Number, "path", c.Request.URL.Path)
		c.Data(http.StatusForbidden, "text/html; charset=utf-8", []byte(`<!doctype html><html lang="`+texts.Lang+`"><title>`+
			template.HTMLEscapeString(texts.T("admin.forbidden_title"))+`</title><p>`+
			template.HTMLEscapeString(texts.T("admin.forbidden", "ext", ext.Number))+` <a href="../">`+
			template.HTMLEscapeString(texts.T("admin.back"))+`</a></p>`))
		return false
	}
	return true
}

// recordingFile serves one recording's file to admins, as a download.
func (s *Server) recordingFile(c *gin.Context) {
	if !s.adminOnly(c) {
		return
	}
	name := c.Param("file")
	if s.recordings == nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
		return
	}
	path, err := s.recordings.RecordingFile(name)
	if err != nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
		return
	}
	if _, err := os.Stat(path); err != nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
		return
	}
	c.Header("Cache-Control", "no-store")
	if strings.HasSuffix(name, ".webm") {
		c.Header("Content-Type", "video/webm")
	} else {
		c.Header("Content-Type", "audio/ogg")
	}
	c.FileAttachment(path, name)
}

// admin serves the read-only status page to logged-in admin extensions.
func (s *Server) admin(c *gin.Context) {
	if !s.adminOnly(c) {
		return
	}
	texts := s.textsFor(c)
	if s.status == nil {
		c.String(http.StatusServiceUnavailable, "no status source")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	st := s.status.Status(ctx)
	st.TabsOpen = s.stats.TabsOpen.Load()
	page, err := adminPage.Clone()
	if err != nil {
		s.log.Error("admin page", "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	page.Funcs(template.FuncMap{
		"t":    texts.T,
		"n":    func(key string, n any) string { return texts.N(key, toInt(n)) },
		"lang": func() string { return texts.Lang },
	})
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(c.Writer, st); err != nil {
		s.log.Error("admin page", "err", err)
	}
}

// toInt is a count of the page (int or int64) as an int.
func toInt(n any) int {
	switch v := n.(type) {
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}
