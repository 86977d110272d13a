package siptrunk

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
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
	Trunk configs.Trunk
	// Gate is the server's toll-fraud gate, shared by every trunk and
	// swapped on reload. nil: the trunk builds its own from Dialplan,
	// Transit, Permission and its refer_permission (a lone trunk, tests).
	Gate     func() *Gate
	Dialplan []configs.DialRule
	Transit  []configs.TransitRule
	// MediaIP is the address of our one ICE host candidate / RTP socket;
	// empty: the listen IP, or the IP used to reach the trunk.
	MediaIP string
	// Permission returns an extension's permission class; nil: "internal".
	Permission func(number string) string
	// Local reports extensions and rooms (they win over dial rules); used
	// with the trunk's own gate only.
	Local func(number string) bool
	// Leases makes the registration a cluster lease: only the node
	// holding it registers, another takes over when it dies
	// (register_lease.go). nil: this trunk always registers.
	Leases Leases
	// LeaseTTL is how long a dead holder keeps the lease; 0: 10 s.
	LeaseTTL time.Duration
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
	TollRefused    atomic.Uint64 // outbound calls the toll-fraud gate refused
	// The front door, before sipgo sees a message (DroppedSources counts
	// the strangers).
	PeerParseErrors atomic.Uint64 // unparsable messages from allowed sources
	PeerRateLimited atomic.Uint64 // dropped over rate_limit.messages
	CallsLimited    atomic.Uint64 // new INVITEs answered 503 over rate_limit.calls
	StrayResponses  atomic.Uint64 // responses matching no transaction of ours
}

// Trunk is one SIP trunk: a sipgo user agent on the configured transport,
// registration or static peering, and SIP dialogs as sfu legs. It
// implements sfu.Dialer for outside numbers.
type Trunk struct {
	cfg      Config
	log      *slog.Logger
	security *slog.Logger         // stream=security, for fail2ban
	ownGate  atomic.Pointer[Gate] // when cfg.Gate is nil; replaced by SetDialplan
	placer   Placer
	allowed  []netip.Prefix
	peer     sip.Uri // request-URI host:port of the trunk
	mediaIP  net.IP
	Stats    Stats
	Wire     MessageStats // SIP messages by method / response class

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
	// board receives the presence of the numbers the trunk watches (nil:
	// none); watchers are their subscriptions by Call-ID.
	board    *sfu.PresenceBoard
	watchers map[string]*watcher
	// backoff overrides the registration backoff bounds (tests); zero:
	// 1 s to 5 min.
	backoff [2]time.Duration
	door    *frontDoor
	calls   *rateLimiter // new INVITEs per source
	// now is the clock of rate limits, clock the registration loop's;
	// tests may replace them before Start.
	now   func() time.Time
	clock clock
}

// clock is the time the registration loop waits on.
type clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// New builds a trunk; Start begins listening. placer may be nil when the
// trunk is used for outbound calls only.
func New(cfg Config, placer Placer, log *slog.Logger) (*Trunk, error) {
	t := &Trunk{cfg: cfg, log: log.With("trunk", cfg.Trunk.Name), security: log.With("stream", "security"), placer: placer,
		legs: map[string]*Leg{}, byCall: map[string]any{}, watchers: map[string]*watcher{}}
	t.SetDialplan(cfg.Dialplan)
	if err := t.parseAddresses(); err != nil {
		return nil, err
	}
	t.now, t.clock = time.Now, realClock{}
	t.door = t.newFrontDoor()
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
	t.goOwned(t.runDoorLogs)
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
	quiet := sipgoLogger(t.log)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Xphone"), sipgo.WithUserAgenTLSConfig(tlsConf),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(t.strayResponse)))
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(host), sipgo.WithClientLogger(quiet)}
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

// gate is the toll-fraud gate in force.
func (t *Trunk) gate() *Gate {
	if t.cfg.Gate != nil {
		return t.cfg.Gate()
	}
	return t.ownGate.Load()
}

// Reaches reports whether number is routed to this trunk by the dial plan
// (never a local number).
func (t *Trunk) Reaches(number string) bool {
	r, ok := t.gate().Route(number)
	return ok && r.Trunk == t.cfg.Trunk.Name
}

// Allowed is the toll-fraud gate for a call leaving through this trunk:
// the gate's decision, and the route must be this trunk.
func (t *Trunk) Allowed(req sfu.DialRequest) (Route, error) {
	r, err := t.gate().Decide(req)
	if err == nil && r.Trunk != t.cfg.Trunk.Name {
		return Route{}, fmt.Errorf("%w: %s routes to trunk %q", ErrTrunkUnavailable, req.To, r.Trunk)
	}
	return r, err
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

// Close sends BYE on every dialog (all at once), unregisters and waits
// for every goroutine, or until ctx ends.
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
	// All BYEs at once (and the unREGISTER and unSUBSCRIBEs with them): each waits for its
	// answer, so one slow peer must not hold the others back.
	var byes sync.WaitGroup
	for _, l := range legs {
		byes.Go(func() { _ = l.Hangup(ctx, reason) })
	}
	t.unsubscribeAll(ctx, &byes)
	if t.reg != nil {
		t.reg.unregister(ctx)
	}
	byes.Wait()
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

// SetDialplan replaces the dial plan of a trunk without a shared gate
// while it runs; calls already placed are not affected.
func (t *Trunk) SetDialplan(rules []configs.DialRule) {
	t.ownGate.Store(NewGate(GateConfig{Dialplan: rules, Transit: t.cfg.Transit, Extension: t.cfg.Permission, Room: t.cfg.Permission, Local: t.cfg.Local,
		ReferPermission: map[string]string{t.cfg.Trunk.Name: t.cfg.Trunk.ReferPermission}}))
}

// Config is the trunk's configuration as given to New.
func (t *Trunk) Config() configs.Trunk { return t.cfg.Trunk }

// Name is the trunk's configured name.
func (t *Trunk) Name() string { return t.cfg.Trunk.Name }

// Registers reports whether the trunk registers (false: static IP peer).
func (t *Trunk) Registers() bool { return t.reg != nil }
