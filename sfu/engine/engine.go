package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
)

// Defaults for the zero values of Config.
const (
	defaultBatch     = 32
	defaultHandshake = 10 * time.Second
	// slotSize holds the largest datagram a browser sends over a 1500-byte
	// MTU path; larger datagrams are flagged truncated and dropped.
	slotSize = 1500
)

// Config configures an Engine.
type Config struct {
	// Listen is the local UDP address, e.g. "127.0.0.1:0" or "0.0.0.0:40000".
	Listen string
	// PublicAddrs are advertised as host candidates. They are required when
	// Listen is an unspecified address; otherwise the listen address is used.
	PublicAddrs []netip.Addr
	// Certificate is the DTLS certificate; nil generates a self-signed one.
	Certificate *tls.Certificate
	// Logger receives the engine's events; nil discards them.
	Logger *slog.Logger
	// PionLogs receives pion/dtls's logging (the server's shared factory);
	// nil routes it into Logger.
	PionLogs logging.LoggerFactory
	// BatchSize is the number of datagrams one recvmmsg call may return.
	BatchSize int
	// HandshakeTimeout bounds ICE binding plus the DTLS handshake of a peer.
	HandshakeTimeout time.Duration
	// Now is the clock for consent times; nil means time.Now.
	Now func() time.Time
	// DisableGSO sends every datagram of a Batch on its own, even runs to
	// one address (for comparisons; the engine also stops using UDP GSO
	// by itself when the kernel refuses it).
	DisableGSO bool
}

// Engine owns one UDP socket and the peers reachable through it.
type Engine struct {
	cfg         Config
	log         *slog.Logger
	security    *slog.Logger // the security stream (rejected checks)
	lastSec     atomic.Int64 // unix nanos of the last security record
	conn        *net.UDPConn
	v4          bool // an AF_INET socket; otherwise AF_INET6, dual-stack
	local       netip.AddrPort
	cert        tls.Certificate
	fingerprint string // sha-256 of cert, "AB:CD:…"
	ctr         counters
	noGSO       atomic.Bool // the kernel refused a UDP GSO message

	ctx    context.Context // cancelled by Close; parent of every peer's context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the read loop and every handshake goroutine

	mu      sync.Mutex // guards byUfrag, closed and writers of byAddr
	byUfrag map[string]*Peer
	closed  bool
	// byAddr maps a bound remote address to its peer. Copy-on-write: the
	// read loop looks up every packet without a lock.
	byAddr atomic.Pointer[map[netip.AddrPort]*Peer]
}

// New opens the socket and starts the read loop.
func New(cfg Config) (*Engine, error) {
	cfg = withDefaults(cfg)
	laddr, err := netip.ParseAddrPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen %q: %w", ErrConfig, cfg.Listen, err)
	}
	if laddr.Addr().IsUnspecified() && len(cfg.PublicAddrs) == 0 {
		return nil, fmt.Errorf("%w: listen %s needs PublicAddrs", ErrConfig, laddr)
	}
	cert, fp, err := certificate(cfg.Certificate)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, cert: cert, fingerprint: fp,
		security: cfg.Logger.With("stream", "security"), byUfrag: map[string]*Peer{}}
	if err := e.open(laddr); err != nil {
		return nil, err
	}
	e.byAddr.Store(&map[netip.AddrPort]*Peer{})
	e.ctx, e.cancel = context.WithCancel(context.Background())
	l := newLoop(e)
	e.wg.Add(1)
	go e.readLoop(l)
	return e, nil
}

func withDefaults(cfg Config) Config {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultBatch
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = defaultHandshake
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PionLogs == nil {
		cfg.PionLogs = pionLog{cfg.Logger}
	}
	return cfg
}

// open binds the socket: IPv4 listen addresses get an AF_INET socket, the
// rest a dual-stack AF_INET6 one.
func (e *Engine) open(laddr netip.AddrPort) error {
	// "udp" (not "udp6"): Go sets IPV6_V6ONLY on "udp6" sockets, which
	// would cut an unspecified listen address off from IPv4 browsers.
	network, v4 := "udp", false
	if laddr.Addr().Is4() {
		network, v4 = "udp4", true
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(laddr))
	if err != nil {
		return fmt.Errorf("%w: listen %s: %w", ErrSocket, laddr, err)
	}
	// A socket bound to every address learns where each datagram went,
	// so replies leave from it (pktinfo_linux.go); one bound to a single
	// address always sends from that one.
	if laddr.Addr().IsUnspecified() {
		// SyscallConn of a *net.UDPConn cannot fail.
		rc, _ := conn.SyscallConn()
		if err := setPktinfo(rc, v4, true); err != nil {
			_ = conn.Close()
			return fmt.Errorf("%w: pktinfo on %s: %w", ErrSocket, laddr, err)
		}
	}
	e.conn, e.v4 = conn, v4
	e.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return nil
}

// LocalAddr is the socket's bound address.
func (e *Engine) LocalAddr() netip.AddrPort { return e.local }

// Fingerprint is the SHA-256 fingerprint of the engine's DTLS certificate,
// as uppercase hex pairs separated by colons.
func (e *Engine) Fingerprint() string { return e.fingerprint }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.ctr.snapshot() }

// Close stops the read loop, closes every peer and waits for every
// goroutine the engine started. It is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	peers := make([]*Peer, 0, len(e.byUfrag))
	for _, p := range e.byUfrag {
		peers = append(peers, p)
	}
	e.mu.Unlock()
	e.cancel()
	err := e.conn.Close()
	for _, p := range peers {
		p.Close()
	}
	e.wg.Wait()
	if err != nil {
		return fmt.Errorf("%w: close: %w", ErrSocket, err)
	}
	return nil
}

// peerAt returns the peer bound to src, or nil; lock-free.
func (e *Engine) peerAt(src netip.AddrPort) *Peer {
	return (*e.byAddr.Load())[src]
}

// rebindLocked moves p from old (if valid) to src in the address map.
func (e *Engine) rebindLocked(p *Peer, old, src netip.AddrPort) {
	cur := *e.byAddr.Load()
	next := make(map[netip.AddrPort]*Peer, len(cur)+1)
	for k, v := range cur {
		if k != old {
			next[k] = v
		}
	}
	if src.IsValid() {
		next[src] = p
	}
	e.byAddr.Store(&next)
}
