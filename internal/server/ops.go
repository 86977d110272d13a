package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// opsListener is the plain-HTTP listener of metrics.listen: /metrics,
// /healthz and /readyz, kept off the UI port (docs/security.md).
type opsListener struct {
	ln  net.Listener
	srv *http.Server
	wg  sync.WaitGroup
}

// startOps binds metrics.listen (or addr when set); an empty address
// means no separate listener.
func (s *Server) startOps(addr string) error {
	if addr == "" {
		addr = s.cfg.Metrics.Listen
	}
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w on %s (metrics.listen): %v; choose another address or set metrics.listen: \"\"", ErrListen, addr, err)
	}
	o := &opsListener{ln: ln, srv: &http.Server{
		Handler:           s.web.OpsHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", "err", err)
		}
	}()
	s.ops = o
	s.log.Info("metrics listening", "url", s.MetricsURL())
	return nil
}

// MetricsURL is the /metrics address of the metrics listener, e.g.
// http://127.0.0.1:9181/metrics, or "" when metrics.listen is off.
func (s *Server) MetricsURL() string {
	if s.ops == nil {
		return ""
	}
	return "http://" + s.ops.ln.Addr().String() + "/metrics"
}

func (o *opsListener) close() {
	if o == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = o.srv.Shutdown(ctx)
	o.wg.Wait()
}
