package web

import (
	"crypto/subtle"
	"net"
	"net/http"
)

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	if s.draining.Load() {
		// Out of the load balancer: new users go to other nodes, while
		// this node's calls finish (docs/cluster.md, "Drain").
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining: taking no new calls, finishing the current ones\n"))
		return
	}
	if s.cluster != nil && !s.cluster.Healthy() {
		// Still 200: this node's users and calls are fine without Redis,
		// and a load balancer that took the node out would cut them off;
		// the body and the header tell monitoring (docs/cluster.md).
		w.Header().Set("X-Xphone-Degraded", "cluster")
		_, _ = w.Write([]byte("degraded: cluster directory (Redis) unreachable, serving local users\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// OpsHandler serves /metrics (behind metrics.token when set), /healthz and
// /readyz for the separate metrics listener (metrics.listen).
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.metrics != nil {
		mux.Handle("GET /metrics", s.metricsGuard(s.metrics))
	}
	return mux
}

// metricsGuard asks for "Authorization: Bearer <metrics.token>" when a
// token is configured, comparing in constant time.
func (s *Server) metricsGuard(next http.Handler) http.Handler {
	token := s.cfg.Metrics.Token
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		s.stats.MetricsRefused.Add(1)
		remote, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ok, more := s.secLog.allow("metrics\x00" + remote); ok {
			s.security.Warn("security: metrics token refused", "remote", remote, "suppressed", more)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="xphone metrics"`)
		http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
	})
}
