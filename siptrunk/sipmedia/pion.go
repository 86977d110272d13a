package sipmedia

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"xphone/sfu/rtcpclock"
)

// pionReportInterval matches the socket back-end's RTCP interval.
const pionReportInterval = 5 * time.Second

// pionMedia is the ICE + DTLS-SRTP back-end (Asterisk webrtc=yes style): a
// pion PeerConnection with one host candidate on the trunk's media IP.
type pionMedia struct {
	ip        net.IP
	prefs     []string
	pc        *webrtc.PeerConnection
	track     *rtpTrack
	codec     Codec
	local     string
	onRTP     func(*rtp.Packet) // the audio sink; set by Start before started closes
	started   chan struct{}
	startOnce sync.Once
	failed    chan struct{}
	fail      sync.Once
	recv      atomic.Uint64 // RTP packets read from the peer
	srIn      atomic.Uint64 // RTCP read about the peer's stream (its sender reports)
	rrIn      atomic.Uint64 // RTCP read about ours (its receiver reports)
	// reportEvery is the RTCP report interval (tests shorten it).
	reportEvery time.Duration
	clock       *rtcpclock.Clock
	wg          sync.WaitGroup // RTCP drain loops
	video       pionVideo
}

// newPionMedia prepares a session on ip offering/accepting codecs in
// preference order, and VP8 video when video is set.
func newPionMedia(ip net.IP, prefs []string, video bool) *pionMedia {
	m := &pionMedia{ip: ip, prefs: prefs, started: make(chan struct{}), failed: make(chan struct{}),
		reportEvery: pionReportInterval}
	m.video.want = video
	return m
}

// build creates the PeerConnection for codec c and its telephone-event;
// an offer also has telephone-event at 8 kHz, which many peers (baresip,
// Asterisk) know only at that rate, also with Opus.
func (m *pionMedia) build(c Codec, offer bool) error {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, SDPFmtpLine: fmtpOf(c)},
		PayloadType: webrtc.PayloadType(c.PayloadType)}, webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	events := map[uint8]uint32{}
	if c.HasDTMF {
		events[c.DTMFPayloadType] = c.DTMFClockRate
	}
	if offer && c.DTMFClockRate != 8000 {
		events[telephoneEventPT] = 8000
	}
	for pt, rate := range events {
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: "audio/telephone-event", ClockRate: rate, SDPFmtpLine: "0-16"},
			PayloadType: webrtc.PayloadType(pt)}, webrtc.RTPCodecTypeAudio); err != nil {
			return err
		}
	}
	if err := m.registerVideo(me); err != nil {
		return err
	}
	// Sender and receiver reports, as the socket back-end sends them: a
	// PBX uses them for its call-quality figures (loss, jitter, round trip).
	m.clock = rtcpclock.New(100 * time.Millisecond)
	reg := &interceptor.Registry{}
	reg.Add(rtcpclock.NewSenderReports(m.clock, m.reportEvery, nil))
	reg.Add(rtcpclock.NewReceiverReports(m.clock, m.reportEvery, nil))
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(m.settings()),
		webrtc.WithInterceptorRegistry(reg))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	m.pc, m.codec = pc, c
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			m.fail.Do(func() { close(m.failed) })
		}
	})
	pc.OnTrack(m.onTrack)
	m.track = newRTPTrack(c.MimeType, c.ClockRate)
	return nil
}

// settings allows exactly one host candidate (pitfall 3), on loopback too.
func (m *pionMedia) settings() webrtc.SettingEngine {
	var s webrtc.SettingEngine
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.Equal(m.ip) })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetHandleUndeclaredSSRCWithoutAnswer(true)
	s.SetICETimeouts(5*time.Second, 10*time.Second, 2*time.Second)
	// A SIP peer's first check often arrives before its answer's
	// candidates are applied, so the working pair is peer-reflexive; with
	// only host candidates there is nothing better to wait for (pion's
	// default wait of 1 s for such pairs cost the first second of audio).
	s.SetPrflxAcceptanceMinWait(0)
	return s
}

// Offer offers the first preferred codec plus telephone-event.
func (m *pionMedia) Offer(ctx context.Context) (string, error) {
	c, ok := offeredCodec(firstKnown(m.prefs))
	if !ok {
		return "", fmt.Errorf("%w: no known codec configured", ErrConfig)
	}
	m.videoCodecsFor("")
	if err := m.build(c, true); err != nil {
		return "", err
	}
	tr, err := m.pc.AddTransceiverFromTrack(m.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return "", err
	}
	m.drainRTCP(tr.Sender().Read, &m.rrIn)
	if err := m.addVideoSender(true); err != nil {
		return "", err
	}
	offer, err := m.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	// Audio and video share one transport: the offer keeps BUNDLE and mids.
	return m.setLocal(ctx, offer, m.video.track != nil)
}

// Answer answers a peer's offer with one codec plus telephone-event.
func (m *pionMedia) Answer(ctx context.Context, offer string) (string, error) {
	c, ok := chooseCodec(m.prefs, offer)
	if !ok {
		return "", fmt.Errorf("%w: no common codec", ErrSDP)
	}
	m.videoCodecsFor(offer)
	if err := m.build(c, false); err != nil {
		return "", err
	}
	norm, hadMid := fromSIP(offer)
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: norm}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrSDP, err)
	}
	sender, err := m.pc.AddTrack(m.track)
	if err != nil {
		return "", err
	}
	m.drainRTCP(sender.Read, &m.rrIn)
	if err := m.addVideoSender(false); err != nil {
		return "", err
	}
	answer, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	s, err := m.setLocal(ctx, answer, hadMid)
	if err == nil && videoKept(s) {
		m.noteVideo(offer)
	}
	return s, err
}

// setLocal applies d, waits for gathering and returns SIP-side SDP.
func (m *pionMedia) setLocal(ctx context.Context, d webrtc.SessionDescription, keepMid bool) (string, error) {
	gathered := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	s, err := toSIP(m.pc.LocalDescription().SDP, keepMid, m.video.track != nil)
	if err != nil {
		return "", err
	}
	m.local = s
	return s, nil
}

// Accept applies the peer's answer; telephone-event is the one it kept.
func (m *pionMedia) Accept(answer string) error {
	if !videoKept(answer) {
		m.dropVideo()
	} else if err := m.followAnswerCodec(answer); err != nil {
		return fmt.Errorf("%w: video codec of the answer: %v", ErrSDP, err)
	}
	norm, _ := fromSIP(answer)
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: norm}); err != nil {
		return fmt.Errorf("%w: %v", ErrSDP, err)
	}
	m.codec.DTMFPayloadType, m.codec.DTMFClockRate, m.codec.HasDTMF = parseSDPMedia(answer).telephoneEvent(m.codec.ClockRate)
	if videoKept(answer) {
		m.noteVideo(answer)
	}
	return nil
}

// LocalSDP is the SDP we last sent.
func (m *pionMedia) LocalSDP() string { return m.local }

// Codec is the negotiated codec.
func (m *pionMedia) Codec() Codec { return m.codec }

// Encryption implements Session.
func (m *pionMedia) Encryption() string { return "DTLS-SRTP (ICE)" }

// Start installs the audio packet callback (StartVideo's must come
// first); the read loops start with the tracks.
func (m *pionMedia) Start(onRTP func(*rtp.Packet)) {
	m.startOnce.Do(func() {
		m.onRTP = onRTP
		close(m.started)
	})
}

// onTrack runs the read loop of the peer's audio or video, one buffer
// and one packet reused for every packet. A peer that changes its SSRC
// mid-call (pitfall 4) gets a new track, read the same way.
func (m *pionMedia) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	m.drainRTCP(recv.Read, &m.srIn)
	select {
	case <-m.started:
	case <-m.failed:
		return
	}
	f := m.onRTP
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		m.video.peerSSRC.Store(uint32(remote.SSRC()))
		f = m.video.onRTP
	}
	if f == nil {
		f = func(*rtp.Packet) {}
	}
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := remote.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) == nil {
			m.recv.Add(1)
			f(&p)
		}
	}
}

// Received counts the peer's RTP packets.
func (m *pionMedia) Received() uint64 { return m.recv.Load() }

// drainRTCP reads the peer's RTCP on one sender or receiver until the
// connection closes: the report interceptors see it on the way (LSR/DLSR),
// and unread it would pile up in pion's buffers, 100 kB each.
func (m *pionMedia) drainRTCP(read func([]byte) (int, interceptor.Attributes, error), count *atomic.Uint64) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := read(buf); err != nil {
				if errors.Is(err, io.ErrShortBuffer) {
					continue
				}
				return
			}
			count.Add(1)
		}
	}()
}

// WriteAudio sends one frame.
func (m *pionMedia) WriteAudio(payload []byte, samples uint32) error {
	return m.track.writeAudio(payload, samples)
}

// SkipAudio moves the timestamp over a silent gap.
func (m *pionMedia) SkipAudio(samples uint32) { m.track.skipAudio(samples) }

// WriteEvent sends the packets of one RFC 4733 event.
func (m *pionMedia) WriteEvent(payloads [][]byte) error { return m.track.writeEvent(payloads) }

// Failed is closed when ICE/DTLS fails or the connection closes.
func (m *pionMedia) Failed() <-chan struct{} { return m.failed }

// Close closes the PeerConnection (which ends the read loops) and stops
// the RTCP reports.
func (m *pionMedia) Close() error {
	if m.pc == nil {
		return nil
	}
	err := m.pc.Close()
	m.fail.Do(func() { close(m.failed) })
	m.wg.Wait()
	m.clock.Close()
	return err
}

// firstKnown is the first codec of prefs that we implement.
func firstKnown(prefs []string) string {
	for _, p := range prefs {
		if _, ok := knownCodecs[strings.ToLower(p)]; ok {
			return strings.ToLower(p)
		}
	}
	return ""
}

// fmtpOf is the fmtp line we give codec c: Opus as browsers send it.
func fmtpOf(c Codec) string {
	if c.IsOpus() {
		return "minptime=10;useinbandfec=1"
	}
	return ""
}
