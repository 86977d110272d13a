package sipmedia

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
)

// sockKind is the protection of a socket back-end's RTP.
type sockKind int

const (
	sockRTP  sockKind = iota // plain RTP/AVP
	sockSDES                 // SDES-SRTP, RTP/SAVP (RFC 4568)
	sockDTLS                 // DTLS-SRTP without ICE, UDP/TLS/RTP/SAVP
)

// sockMedia is the back-end for peers without ICE: RTP on one UDP socket
// (RTCP on it with rtcp-mux, else on the next port), protected by SDES-SRTP,
// by DTLS-SRTP negotiated on the same socket, or not at all. It sends to
// the address in the peer's SDP until the peer's first valid packet, then
// to wherever the peer sends from (symmetric RTP, RFC 4961), which gets
// through the NATs in front of many phones.
type sockMedia struct {
	log   *slog.Logger
	kind  sockKind
	prefs []string
	ip    net.IP
	conn  *net.UDPConn
	rtcp  *net.UDPConn

	codec  Codec
	local  string
	peer   sdpMedia
	sdes   sdesKey                     // ours
	id     dtlsIdentity                // ours
	dtlsIn atomic.Pointer[dtlsPackets] // the current association's records
	dmu    sync.Mutex                  // guards dconn
	dconn  *dtls.Conn                  // the current association, once established
	// hello is the random of the ClientHello that began the current
	// association (read loop only): another one is the peer restarting.
	hello     [32]byte
	helloSeen bool
	restarts  atomic.Uint64 // DTLS restarts completed

	remote atomic.Pointer[netip.AddrPort]
	// rtcpRemote is where reports go without rtcp-mux: from the SDP,
	// then the source of the peer's accepted RTCP.
	rtcpRemote atomic.Pointer[netip.AddrPort]
	cname      string        // RTCP SDES CNAME, random per session
	rtcpEvery  time.Duration // report interval; tests shorten it before Start
	// Update's state (in-dialog re-offers), guarded by updMu: the SDP
	// address last applied, the peer's SDES key.
	updMu   sync.Mutex
	sdpAddr netip.AddrPort
	peerKey sdesKey
	sec     atomic.Pointer[srtpPair] // nil until keys are known (SRTP kinds)

	wmu       sync.Mutex // guards whdr, ehdr, plain, the tx counters and the SRTP tx context
	resume    bool       // (wmu) the next audio packet follows a silent gap: marker bit
	whdr      rtp.Header
	txPackets uint64 // RTP packets and payload octets sent, for the SR
	txOctets  uint64
	ehdr      rtp.Header // EncryptRTP's scratch header
	plain     []byte
	audioOut  []byte     // WriteAudio's packet (one writer at a time)
	evMu      sync.Mutex // owns eventOut
	eventOut  []byte

	stats sockStats

	// Video (sock_video.go): wantVideo offers VP8 and H.264 (videoOrder:
	// preferred first, or only the caller's) or takes a peer's offer of either
	// offer; vid is the call's video stream, a sockMedia of its own (its
	// own sockets, keys, DTLS association and RTCP), nil without video.
	// video is set on that stream only.
	wantVideo  bool
	videoOrder []VideoCodec
	vid        *sockMedia
	video      *sockVideo
	onVideo    func(*rtp.Packet) // set by StartVideo before Start

	ctx     context.Context
	cancel  context.CancelFunc
	onRTP   func(*rtp.Packet)
	started atomic.Bool
	failed  chan struct{}
	fail    sync.Once
	wg      sync.WaitGroup
}

// newSockMedia binds the RTP/RTCP port pair on ip.
func newSockMedia(ip net.IP, prefs []string, kind sockKind, log *slog.Logger) (*sockMedia, error) {
	conn, rtcp, err := bindPortPair(ip)
	if err != nil {
		return nil, err
	}
	m := &sockMedia{log: log, kind: kind, prefs: prefs, ip: ip, conn: conn, rtcp: rtcp,
		failed: make(chan struct{}), plain: make([]byte, 0, 1500), audioOut: make([]byte, 0, 1600), eventOut: make([]byte, 0, 1600)}
	m.rtcpEvery = rtcpInterval
	m.cname = fmt.Sprintf("xphone-%08x", rand.Uint32())
	m.whdr = rtp.Header{Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if kind == sockDTLS {
		if m.id, err = newDTLSIdentity(); err != nil {
			_ = m.closeSockets()
			return nil, err
		}
		m.dtlsIn.Store(newDTLSPackets(m))
	}
	return m, nil
}

// bindPortPair binds an even RTP port and the RTCP port above it, so
// peers that do not multiplex RTCP find the port they expect closed
// to nobody else. The kernel's ephemeral port has either parity (Linux
// even prefers odd ones for bind), so an odd one becomes the RTCP port of
// the even port below it; only a taken neighbour costs another try.
func bindPortPair(ip net.IP) (*net.UDPConn, *net.UDPConn, error) {
	var lastErr error
	for range 32 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: media socket on %s: %w", ErrConfig, ip, err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		if port%2 == 0 && port < 65535 {
			r, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: port + 1})
			if err == nil {
				return c, r, nil
			}
			lastErr = err
		} else if port%2 == 1 {
			rtp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: port - 1})
			if err == nil {
				return rtp, c, nil
			}
			lastErr = err
		}
		_ = c.Close()
	}
	return nil, nil, fmt.Errorf("%w: no media socket pair on %s: %w", ErrConfig, ip, lastErr)
}

// port is our RTP port.
func (m *sockMedia) port() int { return m.conn.LocalAddr().(*net.UDPAddr).Port }

// LocalSDP is the SDP we last sent (Update may re-key it).
func (m *sockMedia) LocalSDP() string {
	m.updMu.Lock()
	defer m.updMu.Unlock()
	return m.local
}

// Codec is the negotiated codec.
func (m *sockMedia) Codec() Codec { return m.codec }

// Encryption implements Session.
func (m *sockMedia) Encryption() string {
	return [...]string{sockRTP: "none (RTP)", sockSDES: "SDES-SRTP", sockDTLS: "DTLS-SRTP"}[m.kind]
}

// Failed is closed when the DTLS handshake fails or media is closed.
func (m *sockMedia) Failed() <-chan struct{} { return m.failed }

// Received counts accepted RTP and RTCP packets from the peer.
func (m *sockMedia) Received() uint64 { return m.stats.received.Load() + m.stats.rtcpReceived.Load() }

func (m *sockMedia) setFailed() { m.fail.Do(func() { close(m.failed) }) }

// Start runs the read loop and, for DTLS, the handshake.
func (m *sockMedia) Start(onRTP func(*rtp.Packet)) {
	if m.started.Swap(true) {
		return
	}
	m.onRTP = onRTP
	if m.vid != nil {
		m.vid.Start(m.videoSink())
	}
	m.wg.Add(2)
	go m.readLoop()
	go m.rtcpLoop(m.rtcpEvery)
	if !m.peer.rtcpMux {
		m.wg.Add(1)
		go m.rtcpReadLoop()
	}
	if m.kind == sockDTLS {
		m.wg.Add(1)
		go m.handshake(m.dtlsIn.Load(), dtlsClient(m.peer.setup))
	}
}

// sockStats count a socket back-end's packets, logged when it closes.
type sockStats struct {
	sent, sendErrors, received, rejected atomic.Uint64
	rtcpSent, rtcpReceived               atomic.Uint64
}

// Close stops the read loop and handshake and waits for them.
func (m *sockMedia) Close() error {
	defer func() {
		m.log.Debug("socket media closed", "sent", m.stats.sent.Load(), "send_errors", m.stats.sendErrors.Load(),
			"received", m.stats.received.Load(), "rejected", m.stats.rejected.Load(),
			"rtcp_sent", m.stats.rtcpSent.Load(), "rtcp_received", m.stats.rtcpReceived.Load())
	}()
	if m.vid != nil {
		_ = m.vid.Close()
	}
	m.cancel()
	if in := m.dtlsIn.Load(); in != nil {
		_ = in.Close()
	}
	err := m.closeSockets()
	m.wg.Wait()
	m.dmu.Lock()
	if m.dconn != nil {
		_ = m.dconn.Close()
	}
	m.dmu.Unlock()
	m.setFailed()
	return err
}

func (m *sockMedia) closeSockets() error {
	_ = m.rtcp.Close()
	return m.conn.Close()
}
