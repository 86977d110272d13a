package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"xphone/cluster"
	"xphone/configs"
	"xphone/sfu"
	"xphone/web/auth"
	"xphone/web/i18n"
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
	// Desk keeps each extension's recent calls and do-not-disturb and
	// knows the directory.
	Desk *Desk
	Log  *slog.Logger
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
	// Recordings serves recordings' files on the admin page; nil: none.
	Recordings RecordingFiles
	// Presence is the presence of watched PBX phones, sent to every tab
	// (message presence); nil: none.
	Presence *sfu.PresenceBoard
	// Cluster is this node's view of the cluster; /readyz reports degraded
	// while it is unhealthy (Redis unreachable). nil: a single node.
	Cluster cluster.Cluster
	// DialNode names the node a call from a tab here to number must be
	// anchored on ("" for this one): the registering node of a trunk with
	// dial_from_registered_contact. nil: always this one.
	DialNode func(number string) string
	// Drainer lets admins start and cancel a drain of this node from the
	// admin page; nil: no drain control there.
	Drainer Drainer
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
	desk         *Desk
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
	cluster      cluster.Cluster // nil: a single node
	stats        *Stats
	status       StatusSource
	texts        *i18n.Set // the UI's catalogues, for the pages and API errors the server writes
	recordings   RecordingFiles
	drainer      Drainer                    // admin drain; nil: none
	dialNodeOf   func(number string) string // Options.DialNode
	presence     *sfu.PresenceBoard
	ready        atomic.Bool
	draining     atomic.Bool // no new calls here (drain.go)

	mu       sync.Mutex // guards tabs, byID, tabsOf, legsOf and closed
	tabs     map[*tab]struct{}
	byID     map[string]*tab
	tabsOf   map[string]int // extension -> tabs (attached or waiting for their browser)
	legsOf   map[string]int // extension -> live (or reserved) call legs
	closed   bool
	tabsRun  sync.WaitGroup // tabs until finished
	connsRun sync.WaitGroup // sockets until their handlers return
}

// New builds the server and its routes.
func New(o Options) (*Server, error) {
	if o.Config == nil || o.Store == nil || o.Sessions == nil || o.Throttle == nil || o.Media == nil || o.Calls == nil || o.Registry == nil || o.Desk == nil || o.Log == nil {
		return nil, ErrOptions
	}
	s := &Server{
		cfg: o.Config, sessions: o.Sessions, throttle: o.Throttle, media: o.Media,
		calls: o.Calls, registry: o.Registry, desk: o.Desk, log: o.Log, security: o.Log.With("stream", "security"),
		pingInterval: orDefault(o.PingInterval, 5*time.Second), pingTimeout: orDefault(o.PingTimeout, 10*time.Second),
		sleep: o.Sleep, now: o.Now, tabs: map[*tab]struct{}{}, byID: map[string]*tab{}, tabsOf: map[string]int{},
		legsOf: map[string]int{}, metrics: o.Metrics, cluster: o.Cluster, stats: o.Stats, status: o.Status, presence: o.Presence,
		recordings: o.Recordings, drainer: o.Drainer, dialNodeOf: o.DialNode,
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
	texts, err := loadTexts()
	if err != nil {
		return nil, err
	}
	s.texts = texts
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

// tabFor returns the tab a socket belongs to: the tab id the browser
// reconnects with, when it is a live tab of the same session (resumed), or
// a new tab unless the extension already has limits.per_extension.tabs.
// It fails with errClosing once the server is closing, errTooManyTabs at
// the cap.
func (s *Server) tabFor(id string, ext configs.Extension, session, remote string) (*tab, bool, error) {
	limit := s.Limits().PerExtension.Tabs
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, errClosing
	}
	if t := s.byID[id]; id != "" && t != nil && t.session == session && t.ext.Number == ext.Number && t.ctx.Err() == nil {
		return t, true, nil
	}
	if s.tabsOf[ext.Number] >= limit {
		return nil, false, errTooManyTabs
	}
	s.tabsOf[ext.Number]++
	t := newTab(s, ext, session, remote)
	s.tabs[t] = struct{}{}
	s.byID[t.id] = t
	s.tabsRun.Add(1)
	s.stats.TabsOpen.Add(1)
	s.registry.addTab(t)
	return t, false, nil
}

func (s *Server) removeTab(t *tab) {
	s.mu.Lock()
	delete(s.tabs, t)
	delete(s.byID, t.id)
	if s.tabsOf[t.ext.Number]--; s.tabsOf[t.ext.Number] <= 0 {
		delete(s.tabsOf, t.ext.Number)
	}
	s.mu.Unlock()
	s.stats.TabsOpen.Add(-1)
	s.tabsRun.Done()
}

// finishTab ends a tab for good: no more rings, its calls hung up with
// reason (their ends are written to the socket first), then its socket
// closed with code. It runs once per tab.
func (s *Server) finishTab(t *tab, reason sfu.Reason, code websocket.StatusCode, text string) {
	t.ended.Do(func() {
		t.mu.Lock()
		t.cancel() // under the lock: goWork starts nothing after this
		if t.linger != nil {
			t.linger.Stop()
		}
		t.mu.Unlock()
		s.registry.forgetTab(t)
		t.hangupAll(reason)
		t.closeConn(code, text, true)
		s.removeTab(t)
	})
}

// closeTabs ends the tabs for which match is true (all, or one session's),
// hanging up their calls with reason, and waits until they are done.
func (s *Server) closeTabs(match func(*tab) bool, reason sfu.Reason, code websocket.StatusCode, text string) {
	s.mu.Lock()
	var victims []*tab
	for t := range s.tabs {
		if match(t) {
			victims = append(victims, t)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, t := range victims {
		wg.Go(func() { s.finishTab(t, reason, code, text) })
	}
	wg.Wait()
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
		if _, err := s.sessions.DeleteExt(number); err != nil {
			s.log.Error("cannot end the sessions of a removed extension", "ext", number, "err", err)
		}
		s.closeTabs(func(t *tab) bool { return t.ext.Number == number }, sfu.ReasonHangup, websocket.StatusNormalClosure, "")
		s.log.Info("extension removed or disabled: logged out", "ext", number)
	}
	return gone
}

// SetReady makes /readyz answer 200 (true) or 503 (false, e.g. while
// shutting down).
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Close ends every tab: calls still up end with "The server restarted",
// each tab gets what is queued for it, then its socket closes with 1001
// (going away), after which browsers reconnect by themselves, still logged
// in, once the server is back. Close waits for all of it.
func (s *Server) Close() {
	s.ready.Store(false)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closeTabs(func(*tab) bool { return true }, sfu.ReasonServerRestart, websocket.StatusGoingAway, "server restarting")
	s.tabsRun.Wait()
	s.connsRun.Wait()
}
