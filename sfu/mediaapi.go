package sfu

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"xphone/configs"
	"xphone/sfu/engine"
	"xphone/sfu/rtcpclock"
)

// opusPayloadType is what server-made Opus packets (mix, music) carry;
// each leg's writer rewrites it to the leg's negotiated type.
const opusPayloadType = 111

// codecInfo names a codec the server forwards.
type codecInfo struct{ MimeType string }

// Codecs every browser leg speaks. One audio and one video codec keep
// forwarding between legs free of transcoding.
var (
	opusCodec = codecInfo{MimeType: "audio/opus"}
	vp8Codec  = codecInfo{MimeType: "video/VP8"}
)

const mimeTelephoneEvent = "audio/telephone-event"

// MediaAPI creates the server side of browser legs, all on one packet
// engine: one UDP port for every browser.
type MediaAPI struct {
	eng   *engine.Engine
	batch *readBatch // the read goroutine's (webrtcleg_batch.go)
	// rtcpIn reads browsers' RTCP in the read goroutine (OnRTCP).
	rtcpIn *rtcpIn
	log    *slog.Logger
	stats  *Stats
	clock  *rtcpclock.Clock
	// rtcpOut is the clock goroutine's batch: every leg's RTCP of one
	// clock tick leaves in one send after the tick (AfterTick).
	rtcpOut *engine.Batch
	live    *livenessMonitor
	// preferH264: media.video_codec is h264, so a leg offering VP8 and
	// H.264 takes H.264.
	preferH264 bool
}

// NewMediaAPI opens the engine's socket from the media section of the
// config; legs count into stats (nil: a private Stats).
func NewMediaAPI(cfg configs.Media, stats *Stats, log *slog.Logger) (*MediaAPI, error) {
	if stats == nil {
		stats = &Stats{}
	}
	addrs, err := advertised(cfg)
	if err != nil {
		return nil, err
	}
	clock := rtcpclock.New(rtcpClockBase)
	live := newLivenessMonitor(DefaultLiveness, clock.Every, time.Now)
	a := &MediaAPI{log: log, stats: stats, clock: clock, live: live, rtcpIn: &rtcpIn{},
		preferH264: strings.EqualFold(cfg.VideoCodec, "h264")}
	if len(addrs) == 0 {
		// The server still starts (signalling, SIP); each browser call
		// is refused with ErrNoMedia, which its user is shown.
		log.Error("no media address to advertise: browser calls will fail (check media.interfaces and media.public_ips)",
			"interfaces", fmt.Sprint(cfg.Interfaces))
		return a, nil
	}
	if a.eng, err = openEngine(cfg, addrs, log); err != nil {
		clock.Close()
		return nil, err
	}
	a.batch = &readBatch{b: a.eng.NewBatch(readBatchSize)}
	a.rtcpOut = a.eng.NewBatch(tickBatchSize)
	clock.AfterTick(a.flushRTCP)
	log.Info("media engine listening", "addr", a.eng.LocalAddr().String(), "advertised", fmt.Sprint(addrs))
	return a, nil
}

// openEngine binds the first free port of the configured range (any port
// when the range is 0-0), on every address: IPv4 only unless an IPv6
// address is advertised.
func openEngine(cfg configs.Media, addrs []netip.Addr, log *slog.Logger) (*engine.Engine, error) {
	host := "0.0.0.0"
	if slices.ContainsFunc(addrs, func(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }) {
		host = "::"
	}
	lo, hi := cfg.UDPPortMin, cfg.UDPPortMax // 0-0: one try at an ephemeral port
	if (lo != 0 || hi != 0) && (lo == 0 || hi < lo) {
		return nil, fmt.Errorf("%w: udp port range %d-%d", ErrMediaConfig, lo, hi)
	}
	var last error
	for port := int(lo); port <= int(hi); port++ {
		eng, err := engine.New(engine.Config{Listen: netip.AddrPortFrom(netip.MustParseAddr(host), uint16(port)).String(),
			PublicAddrs: addrs, Logger: log, PionLogs: newPionLogs(log)})
		if err == nil {
			return eng, nil
		}
		last = err
	}
	return nil, fmt.Errorf("%w: no free udp port in %d-%d: %w", ErrMediaConfig, lo, hi, last)
}

// advertised are the addresses put in candidates: public_ips when set,
// else the addresses of the configured interfaces (all that are up when
// none are listed; loopback only when listed).
func advertised(cfg configs.Media) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range cfg.PublicIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: public ip %q: %w", ErrMediaConfig, s, err)
		}
		out = append(out, a.Unmap())
	}
	if len(out) > 0 {
		return out, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("%w: interfaces: %w", ErrMediaConfig, err)
	}
	for _, ifc := range ifaces {
		if !wanted(ifc, cfg.Interfaces) {
			continue
		}
		out = append(out, interfaceAddrs(ifc)...)
	}
	return out, nil
}

// wanted says whether an interface's addresses are advertised.
func wanted(ifc net.Interface, listed []string) bool {
	if ifc.Flags&net.FlagUp == 0 {
		return false
	}
	if len(listed) > 0 {
		return slices.Contains(listed, ifc.Name)
	}
	return ifc.Flags&net.FlagLoopback == 0
}

// interfaceAddrs are an interface's IPv4 and global IPv6 addresses.
func interfaceAddrs(ifc net.Interface) []netip.Addr {
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr().Unmap()
		if ip.Is4() || (!ip.IsLinkLocalUnicast() && !ip.IsLoopback()) {
			out = append(out, ip)
		}
	}
	return out
}

// SetLiveness changes when vanished parties are hung up (config reload).
func (a *MediaAPI) SetLiveness(cfg LivenessConfig) { a.live.setConfig(cfg) }

// LocalAddr is the engine's UDP address; invalid without a media address.
func (a *MediaAPI) LocalAddr() netip.AddrPort {
	if a.eng == nil {
		return netip.AddrPort{}
	}
	return a.eng.LocalAddr()
}

// EngineStats are the packet engine's counters.
func (a *MediaAPI) EngineStats() engine.Stats {
	if a.eng == nil {
		return engine.Stats{}
	}
	return a.eng.Stats()
}

// Close stops the engine and the shared RTCP clock once every leg has ended.
func (a *MediaAPI) Close() {
	if a != nil {
		a.live.wait()
		if a.eng != nil {
			_ = a.eng.Close()
		}
		a.clock.Close()
	}
}

// flushRTCP sends what the legs' RTCP sessions queued on one clock tick.
func (m *MediaAPI) flushRTCP() {
	if m.rtcpOut.Len() == 0 {
		return
	}
	if err := m.rtcpOut.Flush(); err != nil {
		m.log.Debug("rtcp batch send", "err", err)
	}
}

// rtcpClockBase is the shared RTCP clock's resolution: NACK and TWCC
// feedback go out every tick, sender and receiver reports every tenth.
const (
	rtcpClockBase  = 100 * time.Millisecond
	reportInterval = time.Second
)
