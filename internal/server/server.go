// Package server wires Xphone's parts into one running service: config,
// credentials, certificate, media, call control and the HTTPS listener. The
// binary and the end-to-end tests both start it through Start.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"xphone/cluster"
	"xphone/configs"
	"xphone/internal/metrics"
	"xphone/sfu"
	"xphone/siptrunk"
	"xphone/store"
	"xphone/web"
	"xphone/web/auth"
	"xphone/web/certs"
)

// ErrListen is returned when the HTTPS address cannot be bound.
var ErrListen = errors.New("server: cannot listen")

// Options configure Start.
type Options struct {
	Config  *configs.Config
	DataDir string
	Logger  *slog.Logger
	Addr    string // overrides http.listen when set
	// AuthOptions tune the credential store (tests lower the bcrypt cost).
	AuthOptions []auth.Option
	// PingInterval and PingTimeout override the WebSocket keep-alive
	// (tests shorten them); zero keeps web's defaults.
	PingInterval, PingTimeout time.Duration
	// MetricsAddr overrides metrics.listen when set (tests and load tools
	// use "127.0.0.1:0").
	MetricsAddr string
	// Now is the clock of the login throttle, sessions and rate limits;
	// nil: time.Now. LoginSleep waits out login delays; nil: time.Sleep.
	Now        func() time.Time
	LoginSleep func(time.Duration)
	// After is the timer of Drain's grace period; nil: time.After.
	After func(time.Duration) <-chan time.Time
	// Cluster, when set, is the node's cluster instead of the one the
	// config names (tests join several servers on one cluster.Hub); the
	// server closes it.
	Cluster cluster.Cluster
}

// Server is a running Xphone.
type Server struct {
	cfg      *configs.Config // the running config; changed only by Reload
	log      *slog.Logger
	ln       net.Listener
	http     *http.Server
	ops      *opsListener // metrics.listen; nil when off
	web      *web.Server
	calls    *sfu.Calls
	media    *sfu.MediaAPI // owns the shared RTCP clock
	rooms    *sfu.Conferences
	stats    *sfu.Stats
	db       store.Store // durable data (login sessions, call history, settings) in the data directory
	desk     *web.Desk   // recent calls, do-not-disturb and the directory of every extension
	dataDir  string
	path     string // http.path, fixed for the process
	started  time.Time
	authOpts []auth.Option
	store    atomic.Pointer[auth.Store] // current credentials, for trunk permissions
	trunks   trunkSet
	bridges  *sfu.Bridges
	// cascade carries rooms across nodes over cascadeSock (cascade.go).
	cascade     *web.RoomCascade
	cascadeSock *sfu.Cascade
	// bridgePerms: bridged room number → its bridge call's permission class.
	bridgePerms atomic.Pointer[map[string]string]
	// gate is the toll-fraud gate every trunk and transfer decides with.
	gate     atomic.Pointer[siptrunk.Gate]
	reloads  reloads
	presence *sfu.PresenceBoard // PBX phones the trunks watch, and the extensions (the desk)
	cluster  cluster.Cluster    // in memory for a single node, Redis with a cluster: block
	registry *web.Registry      // browsers' tabs; rings across nodes
	// recPolicy is the recording policy (directory, retention) in force.
	recPolicy atomic.Pointer[configs.RecordingPolicy]
	draining  atomic.Bool                          // Drain has begun, or an admin drains the node
	stopping  atomic.Bool                          // Drain (SIGTERM) has begun: no admin cancel
	after     func(time.Duration) <-chan time.Time // Options.After
	stop      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once
}

// Start builds every part and starts serving HTTPS (and SIP, when trunks
// are configured).
func Start(ctx context.Context, o Options) (*Server, error) {
	cfg, log := o.Config, o.Logger
	s := &Server{cfg: cfg, log: log, stats: &sfu.Stats{}, dataDir: o.DataDir, path: cfg.HTTP.Path,
		started: time.Now(), authOpts: o.AuthOptions, stop: make(chan struct{}), after: o.After}
	if s.after == nil {
		s.after = time.After
	}
	store, err := auth.NewStore(cfg.Extensions, o.DataDir, log, o.AuthOptions...)
	if err != nil {
		return nil, err
	}
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			_ = s.db.Close()
		}
	}()
	s.store.Store(store)
	if s.cluster = o.Cluster; s.cluster == nil {
		if err := s.startCluster(cfg); err != nil {
			return nil, err
		}
	}
	defer func() {
		if !started {
			_ = s.cluster.Close()
		}
	}()
	s.setRecordingPolicy(cfg.Policy.Recording)
	cert, err := certs.LoadOrCreate(o.DataDir, cfg.HTTP.TLS.Cert, cfg.HTTP.TLS.Key, log)
	if err != nil {
		return nil, err
	}
	media, err := sfu.NewMediaAPI(cfg.Media, s.stats, log)
	if err != nil {
		return nil, err
	}
	s.media = media
	media.SetLiveness(liveness(cfg.Calls))
	registry := web.NewRegistry(store, media, log)
	s.presence = sfu.NewPresenceBoard(nil)
	if s.desk, err = web.NewDesk(web.DeskOptions{Store: s.db, Registry: registry, Presence: s.presence, Cluster: s.cluster, Log: log}, cfg.History); err != nil {
		return nil, err
	}
	defer func() {
		if !started {
			s.desk.Close()
		}
	}()
	s.desk.SetDirectory(cfg.Extensions, cfg.Rooms)
	s.rooms = sfu.NewConferences(roomSpecs(cfg.Rooms), s.conferenceConfig(cfg.Policy), log)
	s.calls = sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: cfg.Calls.NoAnswerTimeout.D(), Rooms: s.rooms,
		NoCallWaiting: !cfg.Calls.CallWaiting, Permit: s.permit, DoNotDisturb: s.desk.DoNotDisturb, Recorder: s.desk},
		log, registry, &s.trunks)
	s.setBridges(cfg.Rooms)
	s.setGate(cfg)
	logWarnings(cfg, log)
	if err := s.startTrunks(cfg); err != nil {
		s.calls.Close()
		return nil, err
	}
	s.bridges = sfu.NewBridges(s.rooms, bridgeSpecs(cfg.Rooms), s.trunkDialer, log)
	if err := s.startCascade(cfg); err != nil {
		s.bridges.Close()
		s.stopTrunks()
		s.calls.Close()
		return nil, err
	}
	// Extensions homed on other nodes ring there; calls of other nodes ring here.
	registry.UseCluster(s.cluster, s.calls, s.desk.DoNotDisturb)
	s.registry = registry
	if err := s.startWeb(o, store, media, registry, cert); err != nil {
		registry.Close()
		s.stopCascade()
		s.bridges.Close()
		s.stopTrunks()
		s.calls.Close()
		return nil, err
	}
	started = true
	s.runRetention()
	s.reportLoad()
	return s, nil
}

// startWeb builds the HTTP side and starts listening.
func (s *Server) startWeb(o Options, store *auth.Store, media *sfu.MediaAPI, registry *web.Registry, cert tls.Certificate) error {
	cfg, webStats, now := s.cfg, &web.Stats{}, o.Now
	if now == nil {
		now = time.Now
	}
	websrv, err := web.New(web.Options{
		Status: s, Recordings: s, Drainer: s, DialNode: s.dialNode, Config: cfg, Store: store, Media: media, Calls: s.calls, Registry: registry, Desk: s.desk, Log: s.log,
		Presence:     s.presence,
		Cluster:      s.cluster,
		Sessions:     auth.NewSessions(s.db, cfg.Login.SessionTTL.D(), now),
		Throttle:     auth.NewThrottle(cfg.Login, now),
		Now:          now,
		Sleep:        o.LoginSleep,
		PingInterval: o.PingInterval, PingTimeout: o.PingTimeout, Stats: webStats,
		Metrics: metrics.Handler(metrics.Sources{Media: s.stats, Web: webStats, Calls: s.calls, Rooms: s.rooms, Trunks: s.trunks.All, Cluster: s.cluster,
			Draining: s.Draining}),
	})
	if err != nil {
		return err
	}
	s.web = websrv
	if err := s.listen(o.Addr, cert); err != nil {
		return err
	}
	if err := s.startOps(o.MetricsAddr); err != nil {
		_ = s.http.Close()
		s.wg.Wait()
		return err
	}
	websrv.SetReady(true)
	return nil
}

// listen binds the HTTPS socket and serves it in a goroutine Close waits for.
func (s *Server) listen(addr string, cert tls.Certificate) error {
	if addr == "" {
		addr = s.cfg.HTTP.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(tlsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("https server stopped", "err", err)
		}
	}()
	s.log.Info("xphone listening", "url", s.URL())
	return nil
}

// listenError explains how to fix a bind failure.
func listenError(addr string, err error) error {
	hint := "choose another address with -http-addr or http.listen in the config"
	if errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission) {
		hint = "ports below 1024 need root (or CAP_NET_BIND_SERVICE); " + hint
	}
	return fmt.Errorf("%w on %s: %v; %s", ErrListen, addr, err, hint)
}

// URL is the softphone's address, e.g. https://127.0.0.1:8443/xphone/.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "https://" + host + ":" + port + s.path
}

// liveness is when a vanished party's calls end: the sfu defaults with the
// configured reconnect grace.
func liveness(c configs.Calls) sfu.LivenessConfig {
	l := sfu.DefaultLiveness
	l.Grace = c.ReconnectGrace.D()
	return l
}

// Close ends every call ("The server restarted": SIP legs get their BYE),
// unregisters from registrars (Expires: 0), tells every tab (WebSocket
// close 1001, going away; browsers reconnect by themselves once the server
// is back, still logged in) and stops serving. SIGTERM runs it.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		close(s.stop)
		s.web.SetReady(false)
		s.stopCascade()   // other nodes' members leave the rooms here
		s.bridges.Close() // hang up PBX room bridges before their trunks go
		s.calls.Close()   // every call ends with server_restart; SIP legs send BYE
		s.stopTrunks()    // unregister; BYE on any dialog left
		err = s.http.Shutdown(ctx)
		s.ops.close()
		s.web.Close() // queued call ends reach the tabs, then close 1001
		s.registry.Close()
		s.wg.Wait()
		s.desk.Close() // the history of the calls just ended reaches the store
		// Leaving at once lets the other nodes drop this one's users now.
		if cerr := s.cluster.Close(); cerr != nil {
			s.log.Debug("cluster: leave", "err", cerr)
		}
		s.media.Close()
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
	})
	return err
}
