package sfu

import (
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"xphone/configs"
	"xphone/sfu/rtcpclock"
)

// opusPayloadType is what server-made Opus packets (mix, music) carry;
// each leg's local track rewrites it to the leg's negotiated type.
const opusPayloadType = 111

// Codecs every browser leg speaks. One audio and one video codec keep
// forwarding between legs free of transcoding.
var (
	opusCodec = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "transport-cc"}},
		},
		PayloadType: opusPayloadType,
	}
	vp8Codec = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: "goog-remb"}, {Type: "transport-cc"}, {Type: "ccm", Parameter: "fir"},
				{Type: "nack"}, {Type: "nack", Parameter: "pli"},
			},
		},
		PayloadType: 96,
	}
)

// telephoneEventCodecs let browsers send DTMF (RFC 4733) at either clock
// rate they offer; the answer keeps the offer's payload types.
var telephoneEventCodecs = []webrtc.RTPCodecParameters{
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 48000, SDPFmtpLine: "0-15"}, PayloadType: 110},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126},
}

const mimeTelephoneEvent = "audio/telephone-event"

// ICE timeouts. The liveness monitor (liveness.go) decides when a silent
// leg ends; pion's own failure (15 s of silence) is only the backstop. The
// keepalive makes pion send a consent check (RFC 7675) every second while
// the browser is silent, so a live browser's answers show up within one
// liveness check.
const (
	iceDisconnectedTimeout = 3 * time.Second
	iceFailedTimeout       = 12 * time.Second
	iceKeepalive           = time.Second
)

// MediaAPI creates the server side of browser PeerConnections with one
// shared, validated media configuration.
type MediaAPI struct {
	api   *webrtc.API
	log   *slog.Logger
	stats *Stats
	clock *rtcpclock.Clock
	live  *livenessMonitor
}

// NewMediaAPI builds the pion API from the media section of the config;
// legs count into stats (nil: a private Stats).
func NewMediaAPI(cfg configs.Media, stats *Stats, log *slog.Logger) (*MediaAPI, error) {
	if stats == nil {
		stats = &Stats{}
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(opusCodec, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, wrapf(err, "register opus")
	}
	if err := m.RegisterCodec(vp8Codec, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, wrapf(err, "register vp8")
	}
	for _, c := range telephoneEventCodecs {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, wrapf(err, "register telephone-event")
		}
	}
	exts := []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{sdp.AudioLevelURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRepairRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
	}
	for _, e := range exts {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, e.kind); err != nil {
			return nil, wrapf(err, "register extension %s", e.uri)
		}
	}
	clock := rtcpclock.New(rtcpClockBase)
	logs := newPionLogs(log)
	reg, err := interceptors(m, clock)
	if err != nil {
		return nil, err
	}
	se, err := settingEngine(cfg)
	if err != nil {
		return nil, err
	}
	se.LoggerFactory = logs
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	live := newLivenessMonitor(DefaultLiveness, clock.Every, time.Now)
	return &MediaAPI{api: api, log: log, stats: stats, clock: clock, live: live}, nil
}

// SetLiveness changes when vanished parties are hung up (config reload).
func (a *MediaAPI) SetLiveness(cfg LivenessConfig) { a.live.setConfig(cfg) }

// Close stops the shared RTCP clock once every leg has ended.
func (a *MediaAPI) Close() {
	if a != nil {
		a.live.wait()
		a.clock.Close()
	}
}

// rtcpClockBase is the shared RTCP clock's resolution: NACK and TWCC
// feedback go out every tick, sender and receiver reports every tenth.
const (
	rtcpClockBase  = 100 * time.Millisecond
	reportInterval = time.Second
)

// interceptors are what each leg's RTCP needs, with everything periodic on
// one shared clock instead of pion's ticker goroutines per leg and
// interceptor: NACKs and transport-wide congestion feedback every 100 ms,
// sender and receiver reports every second, all legs in the same burst.
// pion's NACK responder is left out: it kept a send buffer of 1,024 packets
// per stream and viewer; the legs answer NACKs from one cache per published
// layer instead (retransmit.go). pion's stats interceptor is left out too:
// the server never reads pion's stats, and they cost a lock and map work
// per packet.
func interceptors(m *webrtc.MediaEngine, clock *rtcpclock.Clock) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, kind)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return nil, wrapf(err, "register transport-cc")
		}
	}
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	reg.Add(rtcpclock.NewNackGenerator(clock, rtcpClockBase))
	reg.Add(rtcpclock.NewTWCCFeedback(clock, rtcpClockBase, nil))
	reg.Add(rtcpclock.NewSenderReports(clock, reportInterval, nil))
	reg.Add(rtcpclock.NewReceiverReports(clock, reportInterval, nil))
	return reg, nil
}

// settingEngine applies ports, interfaces, advertised addresses and timeouts.
func settingEngine(cfg configs.Media) (webrtc.SettingEngine, error) {
	var se webrtc.SettingEngine
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return se, wrapf(err, "udp port range %d-%d", cfg.UDPPortMin, cfg.UDPPortMax)
		}
	}
	if len(cfg.PublicIPs) > 0 {
		se.SetNAT1To1IPs(cfg.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	if len(cfg.Interfaces) > 0 {
		allowed := slices.Clone(cfg.Interfaces)
		se.SetInterfaceFilter(func(name string) bool { return slices.Contains(allowed, name) })
		if slices.ContainsFunc(allowed, isLoopbackInterface) {
			se.SetIncludeLoopbackCandidate(true)
		}
	}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(iceDisconnectedTimeout, iceFailedTimeout, iceKeepalive)
	return se, nil
}

// isLoopbackInterface reports whether the named interface is a loopback one.
func isLoopbackInterface(name string) bool {
	ifc, err := net.InterfaceByName(name)
	return err == nil && ifc.Flags&net.FlagLoopback != 0
}
