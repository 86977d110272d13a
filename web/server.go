package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"xphone/configs"
	"xphone/sfu"
	"xphone/web/auth"
)

// ErrOptions reports a missing dependency in Options.
var ErrOptions = errors.New("web: incomplete options")

// Options are the server's dependencies, built by the caller.
type Options struct {
	Config   *configs.Config
	Store    *auth.Store
	Sessions *auth.Sessions
	Throttle *auth.Throttle
	Media    *sfu.MediaAPI
	Calls    *sfu.Calls
	Registry *Registry
	Log      *slog.Logger
	// PingInterval and PingTimeout detect vanished browsers; zero means
	// 5 s and 10 s.
	PingInterval, PingTimeout time.Duration
	// Sleep waits out a login delay; nil means a timer (tests inject one).
	Sleep func(time.Duration)
	// Now is the clock of rate limits and log limiting; nil: time.Now.
	Now func() time.Time
	// Metrics serves /metrics; nil: no metrics endpoint.
	Metrics http.Handler
	// Stats receives counts; nil: a private Stats.
	Stats *Stats
	// Status feeds the admin status page; nil: the page is unavailable.
	Status StatusSource
}

// Server is the HTTP side of Xphone.
type Server struct {
	cfg          *configs.Config
	store        atomic.Pointer[auth.Store]
	sessions     *auth.Sessions
	throttle     *auth.Throttle
	media        *sfu.MediaAPI
	calls        *sfu.Calls
	registry     *Registry
	log          *slog.Logger
	security     *slog.Logger
	engine       *gin.Engine
	pingInterval time.Duration
	pingTimeout  time.Duration
	sleep        func(time.Duration)
	now          func() time.Time
	secLog       *logLimiter // rate-limits repeated security lines
	limits       atomic.Pointer[configs.Limits]
	metrics      http.Handler
	stats        *Stats
	status       StatusSource
	ready        atomic.Bool

	mu      sync.Mutex // guards tabs, tabsOf, legsOf and closed
	tabs    map[*tab]struct{}
	tabsOf  map[string]int // extension -> open tabs
	legsOf  map[string]int // extension -> live (or reserved) call legs
	closed  bool
	tabsRun sync.WaitGroup
}

// New builds the server and its routes.
func New(o Options) (*Server, error) {
	if o.Config == nil || o.Store == nil || o.Sessions == nil || o.Throttle == nil || o.Media == nil || o.Calls == nil || o.Registry == nil || o.Log == nil {
		return nil, ErrOptions
	}
	s := &Server{
		cfg: o.Config, sessions: o.Sessions, throttle: o.Throttle, media: o.Media,
		calls: o.Calls, registry: o.Registry, log: o.Log, security: o.Log.With("stream", "security"),
		pingInterval: orDefault(o.PingInterval, 5*time.Second), pingTimeout: orDefault(o.PingTimeout, 10*time.Second),
		sleep: o.Sleep, now: o.Now, tabs: map[*tab]struct{}{}, tabsOf: map[string]int{}, legsOf: map[string]int{},
		metrics: o.Metrics, stats: o.Stats, status: o.Status,
	}
	if s.sleep == nil {
		s.sleep = time.Sleep
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.secLog = newLogLimiter(s.now, secLogEvery)
	s.SetLimits(o.Config.Limits)
	if s.stats == nil {
		s.stats = &Stats{}
	}
	s.store.Store(o.Store)
	engine, err := s.routes()
	if err != nil {
		return nil, err
	}
	s.engine = engine
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Handler serves every route.
func (s *Server) Handler() http.Handler { return s.engine }

// prefix is the UI path without its trailing slash, e.g. "/xphone".
func (s *Server) prefix() string { return strings.TrimSuffix(s.cfg.HTTP.Path, "/") }

// addTab registers an open tab unless the server is closing or the
// extension already has limits.per_extension.tabs open.
func (s *Server) addTab(t *tab) error {
	limit := s.Limits().PerExtension.Tabs
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosing
	}
	if s.tabsOf[t.ext.Number] >= limit {
		return errTooManyTabs
	}
	s.tabsOf[t.ext.Number]++
	s.tabs[t] = struct{}{}
	s.tabsRun.Add(1)
	s.stats.TabsOpen.Add(1)
	s.registry.addTab(t)
	return nil
}

func (s *Server) removeTab(t *tab) {
	s.mu.Lock()
	delete(s.tabs, t)
	if s.tabsOf[t.ext.Number]--; s.tabsOf[t.ext.Number] <= 0 {
		delete(s.tabsOf, t.ext.Number)
	}
	s.mu.Unlock()
	s.stats.TabsOpen.Add(-1)
	s.tabsRun.Done()
}

// closeTabs ends the tabs for which match is true (all, or one session's).
func (s *Server) closeTabs(match func(*tab) bool) {
	s.mu.Lock()
	var victims []*tab
	for t := range s.tabs {
		if match(t) {
			victims = append(victims, t)
		}
	}
	s.mu.Unlock()
	for _, t := range victims {
		t.cancel()
	}
}

// SetExtensions applies a reloaded extension list: logins and calls use
// the new store at once; sessions of extensions that were removed or lost
// Xphone access are ended and their tabs closed (their calls hang up).
func (s *Server) SetExtensions(store *auth.Store) []string {
	s.store.Store(store)
	s.registry.SetDirectory(store)
	var gone []string
	s.mu.Lock()
	seen := map[string]bool{}
	for t := range s.tabs {
		seen[t.ext.Number] = true
	}
	s.mu.Unlock()
	for number := range seen {
		if ext, ok := store.Lookup(number); !ok || !ext.Xphone {
			gone = append(gone, number)
		}
	}
	for _, number := range gone {
		s.sessions.DeleteExt(number)
		s.closeTabs(func(t *tab) bool { return t.ext.Number == number })
		s.log.Info("extension removed or disabled: logged out", "ext", number)
	}
	return gone
}

// SetReady makes /readyz answer 200 (true) or 503 (false, e.g. while
// shutting down).
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Close ends every tab (hanging up their calls) and waits for them.
func (s *Server) Close() {
	s.ready.Store(false)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closeTabs(func(*tab) bool { return true })
	s.tabsRun.Wait()
}
