package siptrunk

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/configs"
	"xphone/sfu"
)

// Placer is call control as the trunk sees it: inbound calls are placed
// with the SIP leg as the caller's leg. *sfu.Calls implements it.
type Placer interface {
	Place(req sfu.PlaceRequest) (string, error)
}

// Config is everything a Trunk needs.
type Config struct {
	Trunk    configs.Trunk
	Dialplan []configs.DialRule
	// MediaIP is the address of our one ICE host candidate / RTP socket;
	// empty: the listen IP, or the IP used to reach the trunk.
	MediaIP string
	// Permission returns an extension's permission class; nil: "internal".
	Permission func(number string) string
}

// Stats are the trunk's counters.
type Stats struct {
	DroppedSources atomic.Uint64 // SIP from addresses not allowed
	Panics         atomic.Uint64 // handler panics recovered
	BadRequests    atomic.Uint64 // malformed requests answered 4xx/5xx
	Invites        atomic.Uint64 // INVITEs sent
	Inbound        atomic.Uint64 // inbound calls placed
	ReInvites      atomic.Uint64 // in-dialog INVITEs answered
	Updates        atomic.Uint64 // in-dialog UPDATEs answered
	Refers         atomic.Uint64 // REFERs from the trunk carried out
	RefersRefused  atomic.Uint64 // REFERs refused by the toll-fraud check
}

// Trunk is one SIP trunk: a sipgo user agent on the configured transport,
// registration or static peering, and SIP dialogs as sfu legs. It
// implements sfu.Dialer for outside numbers.
type Trunk struct {
	cfg     Config
	log     *slog.Logger
	plan    atomic.Pointer[DialPlan] // replaced by SetDialplan on reload
	placer  Placer
	allowed []netip.Prefix
	peer    sip.Uri // request-URI host:port of the trunk
	mediaIP net.IP
	Stats   Stats
	Wire    MessageStats // SIP messages by method / response class

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	dua    *sipgo.DialogUA
	conn   net.PacketConn // UDP socket
	ln     net.Listener   // TCP/TLS listener
	listen string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	legs   map[string]*Leg // by Call-ID
	byCall map[string]any  // Call-ID → dialog session (client or server)
	closed bool
	reg    *registration
	refers referrals // numbers carrying out a REFER from the trunk
	// board receives the presence of the numbers the trunk watches (nil:
	// none); watchers are their subscriptions by Call-ID.
	board    *sfu.PresenceBoard
	watchers map[string]*watcher
	// backoff overrides the registration backoff bounds (tests); zero:
	// 1 s to 5 min.
	backoff [2]time.Duration
}

// New builds a trunk; Start begins listening. placer may be nil when the
// trunk is used for outbound calls only.
func New(cfg Config, placer Placer, log *slog.Logger) (*Trunk, error) {
	t := &Trunk{cfg: cfg, log: log.With("trunk", cfg.Trunk.Name), placer: placer,
		legs: map[string]*Leg{}, byCall: map[string]any{}, watchers: map[string]*watcher{}}
	t.plan.Store(NewDialPlan(cfg.Dialplan))
	if err := t.parseAddresses(); err != nil {
		return nil, err
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t, nil
}

// SetPlacer sets call control for inbound calls; call it before Start. It
// breaks the construction cycle: sfu.NewCalls wants the trunk as a Dialer,
// the trunk wants the Calls as its Placer.
func (t *Trunk) SetPlacer(p Placer) { t.placer = p }

// parseAddresses resolves the peer, allowed sources, listen and media IPs.
func (t *Trunk) parseAddresses() error {
	tc := t.cfg.Trunk
	host, port, err := net.SplitHostPort(tc.Address)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", ErrConfig, tc.Address, err)
	}
	p, _ := strconv.Atoi(port)
	t.peer = t.withTransport(sip.Uri{Host: host, Port: p})
	t.listen = tc.Listen
	if t.listen == "" {
		t.listen = ":5060"
	}
	sources := tc.AllowedSources
	if len(sources) == 0 {
		sources = []string{host}
	}
	for _, s := range sources {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			a, err2 := netip.ParseAddr(s)
			if err2 != nil {
				return fmt.Errorf("%w: allowed source %q", ErrConfig, s)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		t.allowed = append(t.allowed, pfx)
	}
	ip := t.cfg.MediaIP
	if ip == "" {
		ip, _, _ = net.SplitHostPort(t.listen)
	}
	t.mediaIP = net.ParseIP(ip)
	if t.mediaIP == nil || t.mediaIP.IsUnspecified() {
		return fmt.Errorf("%w: media IP %q must be a concrete address", ErrConfig, ip)
	}
	return nil
}

// Start listens on the trunk's address and transport (UDP, TCP or TLS),
// then registers (if configured) and starts keep-alives.
func (t *Trunk) Start() error {
	tlsConf, err := t.clientTLS()
	if err != nil {
		return err
	}
	if err := t.serve(tlsConf); err != nil {
		t.closeSockets()
		return err
	}
	t.handlers()
	traceAddrs(&t.Wire, t.listen, t.cfg.Trunk.Address)
	if t.cfg.Trunk.Register != nil {
		t.reg = newRegistration(t)
		t.goOwned(t.reg.run)
	}
	if ka := t.cfg.Trunk.KeepAlive; ka > 0 {
		t.goOwned(func() { t.keepAlive(ka.D()) })
	}
	t.startPresence()
	t.log.Info("SIP trunk listening", "addr", t.listen, "transport", t.transport(), "peer", t.cfg.Trunk.Address)
	return nil
}

// closeSockets closes the listening sockets (sipgo closes those it opened).
func (t *Trunk) closeSockets() {
	if t.conn != nil {
		_ = t.conn.Close()
	}
	if t.ln != nil {
		_ = t.ln.Close()
	}
}

// Addr is the local SIP address (useful with port 0).
func (t *Trunk) Addr() string { return t.listen }

// newUA creates the sipgo user agent, server and client on t.listen.
// UDP requests leave from the listening socket; TCP and TLS connections
// are opened from an ephemeral port (binding the listening port would
// collide with the listener).
func (t *Trunk) newUA(tlsConf *tls.Config) error {
	host, port, _ := net.SplitHostPort(t.listen)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Xphone"), sipgo.WithUserAgenTLSConfig(tlsConf))
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(t.log))
	if err != nil {
		return err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(host), sipgo.WithClientLogger(t.log)}
	if t.transport() == "udp" {
		opts = append(opts, sipgo.WithClientConnectionAddr(t.listen))
	}
	cli, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	t.ua, t.srv, t.cli = ua, srv, cli
	contact := t.withTransport(sip.Uri{User: t.user(), Host: host, Port: p})
	t.dua = &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: contact}}
	return nil
}

// user is our SIP user: the registration user or "xphone".
func (t *Trunk) user() string {
	if r := t.cfg.Trunk.Register; r != nil && r.User != "" {
		return r.User
	}
	return "xphone"
}

// goOwned runs f as a goroutine Close waits for.
func (t *Trunk) goOwned(f func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
}

// Reaches reports whether number is routed to this trunk by the dial plan.
func (t *Trunk) Reaches(number string) bool {
	n, ok := Normalise(number)
	if !ok {
		return false
	}
	r, ok := t.plan.Load().Match(n)
	return ok && r.Trunk == t.cfg.Trunk.Name
}

// Allowed is the toll-fraud gate: may a caller with callerPermission send
// number out through this trunk?
func (t *Trunk) Allowed(callerPermission, number string) (Route, error) {
	r, err := t.plan.Load().Allowed(callerPermission, number)
	if err == nil && r.Trunk != t.cfg.Trunk.Name {
		return Route{}, fmt.Errorf("%w: %s routes to trunk %q", ErrTrunkUnavailable, number, r.Trunk)
	}
	return r, err
}

// PermissionOf is the permission class a caller's number has on this
// trunk: a leg carrying out the trunk's REFER has refer_permission, a
// caller from a trunk "inbound", an extension its configured class.
func (t *Trunk) PermissionOf(number string) string { return t.permissionOf(number) }

// permissionOf is the permission class of a caller.
func (t *Trunk) permissionOf(number string) string {
	if p, ok := t.referringPermission(number); ok {
		return p
	}
	if strings.HasPrefix(number, "sip:") || t.isInboundLeg(number) {
		return InboundPermission
	}
	if t.cfg.Permission == nil {
		return "internal"
	}
	return t.cfg.Permission(number)
}

// track remembers a leg under its Call-ID until it ends.
func (t *Trunk) track(callID string, l *Leg, sess any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	t.legs[callID], t.byCall[callID] = l, sess
	l.remove = func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.legs, callID)
		delete(t.byCall, callID)
	}
	return nil
}

func (t *Trunk) legFor(callID string) *Leg {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.legs[callID]
}

// isInboundLeg reports whether number is the identity of a live inbound leg.
func (t *Trunk) isInboundLeg(number string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.legs {
		if l.inbound && l.ident.Number == number {
			return true
		}
	}
	return false
}

// Close sends BYE on every dialog, unregisters and waits for every
// goroutine, or until ctx ends.
func (t *Trunk) Close(ctx context.Context) error { return t.CloseWithReason(ctx, sfu.ReasonHangup) }

// CloseWithReason is Close with the reason the trunk's calls end with (the
// other party sees it), e.g. sfu.ReasonTrunkUnavailable when a reload
// removes or replaces the trunk.
func (t *Trunk) CloseWithReason(ctx context.Context, reason sfu.Reason) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	legs := make([]*Leg, 0, len(t.legs))
	for _, l := range t.legs {
		legs = append(legs, l)
	}
	t.mu.Unlock()
	for _, l := range legs {
		_ = l.Hangup(ctx, reason)
	}
	if t.reg != nil {
		t.reg.unregister(ctx)
	}
	t.cancel()
	if t.srv != nil {
		_ = t.srv.Close()
		_ = t.cli.Close()
		_ = t.ua.Close()
	}
	t.closeSockets()
	t.stopPresence()
	untraceAddrs(&t.Wire, t.listen, t.cfg.Trunk.Address)
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// liveLegs is the number of dialogs the trunk tracks.
func (t *Trunk) liveLegs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.legs)
}

// readyConn tells when sipgo starts reading the socket, which is after it
// has put the socket in its connection pool (sipgo v1.7.3 TransportUDP.Serve).
type readyConn struct {
	net.PacketConn
	once    sync.Once
	reading chan struct{}
}

func newReadyConn(c net.PacketConn) *readyConn {
	return &readyConn{PacketConn: c, reading: make(chan struct{})}
}

// ReadFrom signals the first read, then reads.
func (r *readyConn) ReadFrom(p []byte) (int, net.Addr, error) {
	r.once.Do(func() { close(r.reading) })
	return r.PacketConn.ReadFrom(p)
}

// SetDialplan replaces the dial plan while the trunk runs (config
// reload); calls already placed are not affected.
func (t *Trunk) SetDialplan(rules []configs.DialRule) { t.plan.Store(NewDialPlan(rules)) }

// Config is the trunk's configuration as given to New.
func (t *Trunk) Config() configs.Trunk { return t.cfg.Trunk }

// Name is the trunk's configured name.
func (t *Trunk) Name() string { return t.cfg.Trunk.Name }

// Registers reports whether the trunk registers (false: static IP peer).
func (t *Trunk) Registers() bool { return t.reg != nil }
