// Package sfutest provides a pion-based stand-in for a browser: it offers
// audio and optionally video, sends synthetic RTP (with RFC 6464 levels on
// audio and VP8 keyframes on video) and counts what it receives. Tests of
// the sfu and web packages and the bench tools use it.
package sfutest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"xphone/sfu/codec"
)

// Client is one fake browser PeerConnection.
type Client struct {
	pc        *webrtc.PeerConnection
	audio     *rawTrack
	video     *webrtc.TrackLocalStaticRTP
	layers    []*webrtc.TrackLocalStaticRTP // simulcast video, lowest first
	simulcast *webrtc.RTPTransceiver

	// Level is the RFC 6464 level written on outgoing audio (0 loud, 127 silent).
	Level atomic.Uint32
	// Silent makes StartTone send silence (a muted microphone).
	Silent atomic.Bool
	// DTX sends like a browser asked for usedtx=1 (Answer sets it when the
	// server's SDP asks, as Chrome does): while the client is silent (a
	// tone of amplitude 0 or Silent; for StartSending, Level 127) only one
	// audio packet every 400 ms,
	// sequence numbers contiguous and timestamps jumping over the gap.
	DTX    atomic.Bool
	listen atomic.Bool
	hook   atomic.Pointer[func(pcm []int16)]

	AudioReceived atomic.Uint64
	// AudioBytes sums the payload bytes of the audio received (the
	// sender's bitrate shows in it).
	AudioBytes    atomic.Uint64
	VideoReceived atomic.Uint64
	// KeyframeRequests counts PLI/FIR the server sent for our video.
	KeyframeRequests atomic.Uint64
	// DropVideo makes the client lose its next N video packets: their
	// sequence numbers are used but nothing is sent, as on a lossy network.
	DropVideo atomic.Int32
	// DropKeyframes loses the next N key frames of the plain video track
	// the same way (KeyframesOnRequest).
	DropKeyframes atomic.Int32
	// SendLayers limits a simulcast client to its lowest N layers (0: all).
	SendLayers atomic.Int32
	// VideoMarker is written into every video payload (byte 2) so that a
	// receiver can tell whose video a track carries.
	VideoMarker atomic.Uint32
	// Payloads seen on received audio, by first payload byte; tests use a
	// per-sender marker byte to tell whose media arrived.
	mu         sync.Mutex
	markers    map[byte]uint64
	slots      map[string]*slotStats // video by transceiver mid
	videoSSRCs []uint32              // of received video, for REMB
	heard      *pcmRing              // decoded received audio
	nacked     []uint16              // sequence numbers the server asked for again
	resends    resendLog             // what this client asked the server for again (askagain.go)
	clock      audioClock            // received audio's RTP clock against wall time
	connected  atomic.Int64          // Unix ns pion first reported connected (ConnectedAt)
	opts       Options
	sentKey    atomic.Uint64 // key frames sent (KeyframesOnRequest)
	h264Seq    uint16        // sequence numbers of H.264 video; the send loop's
	screen     screenShare   // a shared screen (screen.go)

	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
}

// NewClient creates a client that sends audio, and video when video is true.
func NewClient(video bool) (*Client, error) { return NewClientWith(Options{Video: video}) }

// NewClientWith creates a client as o says (options.go).
func NewClientWith(o Options) (*Client, error) {
	c, err := newClient(o)
	if err != nil || !o.Simulcast {
		return c, err
	}
	if err := c.addSimulcast(); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

func newClient(o Options) (*Client, error) {
	video := o.Video && !o.Simulcast
	api, err := newAPI(o)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("sfutest: peer connection: %w", err)
	}
	c := &Client{pc: pc, stop: make(chan struct{}), markers: map[byte]uint64{},
		slots: map[string]*slotStats{}, heard: newPCMRing(3 * 48000), opts: o}
	c.Level.Store(127)
	c.audio = newRawTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "sfutest")
	if err := c.addSender(c.audio); err != nil {
		return nil, errors.Join(err, pc.Close())
	}
	if video && o.H264 {
		if c.video, err = c.addH264Track(); err != nil {
			return nil, errors.Join(err, pc.Close())
		}
	} else if video {
		if c.video, err = c.addTrack(webrtc.MimeTypeVP8, "video"); err != nil {
			return nil, errors.Join(err, pc.Close())
		}
	}
	if o.ReceiveVideo && !video && !o.Simulcast {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return nil, errors.Join(fmt.Errorf("sfutest: video receiver: %w", err), pc.Close())
		}
	}
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			c.connected.CompareAndSwap(0, time.Now().UnixNano())
		}
	})
	return c, nil
}

// ConnectedAt is when the PeerConnection first became connected (ICE and
// DTLS done: media can flow), to the instant pion reported it, where
// Connected polls; zero before.
func (c *Client) ConnectedAt() time.Time {
	if ns := c.connected.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

func newAPI(o Options) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	register := m.RegisterDefaultCodecs
	if o.H264 {
		register = func() error { return registerH264Only(m) }
	}
	if err := register(); err != nil {
		return nil, err
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	dtmf := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 48000}, PayloadType: 110}
	if err := m.RegisterCodec(dtmf, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	se := o.settingEngine()
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

func (c *Client) addTrack(mime, kind string) (*webrtc.TrackLocalStaticRTP, error) {
	clock := uint32(48000)
	if kind == "video" {
		clock = 90000
	}
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime, ClockRate: clock}, kind, "sfutest")
	if err != nil {
		return nil, fmt.Errorf("sfutest: %s track: %w", kind, err)
	}
	return t, c.addSender(t)
}

func (c *Client) addSender(t webrtc.TrackLocal) error {
	sender, err := c.pc.AddTrack(t)
	if err != nil {
		return fmt.Errorf("sfutest: add %s: %w", t.Kind(), err)
	}
	c.goOwned(func() { c.readRTCP(sender) })
	return nil
}

func (c *Client) readRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.KeyframeRequests.Add(1)
			case *rtcp.TransportLayerNack:
				c.noteNack(p)
			}
		}
	}
}

func (c *Client) noteNack(n *rtcp.TransportLayerNack) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pair := range n.Nacks {
		c.nacked = append(c.nacked, pair.PacketList()...)
	}
}

// NackedVideo returns the video sequence numbers the server asked to be
// sent again (RFC 4585 generic NACK), in the order asked.
func (c *Client) NackedVideo() []uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.nacked)
}

func (c *Client) goOwned(f func()) {
	c.wg.Add(1)
	go func() { defer c.wg.Done(); f() }()
}

// Offer creates the SDP offer with all candidates.
func (c *Client) Offer(ctx context.Context) (string, error) {
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("sfutest: offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("sfutest: set offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return c.pc.LocalDescription().SDP, nil
}

// Answer applies the server's answer.
func (c *Client) Answer(sdpText string) error {
	c.honourDTX(sdpText)
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdpText})
	if err == nil && c.opts.NominateAtOnce {
		c.nominateSoon(sdpText)
	}
	return err
}

// Connected waits until the PeerConnection is connected.
func (c *Client) Connected(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		select {
		case <-ctx.Done():
			return fmt.Errorf("sfutest: not connected (%s): %w", c.pc.ConnectionState(), ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// ConnectionState reports the PeerConnection state.
func (c *Client) ConnectionState() webrtc.PeerConnectionState { return c.pc.ConnectionState() }

// StartSending sends 20 ms audio frames whose payload starts with marker,
// and (if the client has video) a VP8 keyframe-marked packet every 33 ms.
func (c *Client) StartSending(marker byte) {
	c.goOwned(func() { c.sendLoop(marker) })
	c.startCameraIfAny()
}

func (c *Client) sendLoop(marker byte) {
	var seq uint16
	c.tick(func(n int) {
		// No real signal here: the RFC 6464 level stands for it.
		if c.sendsAudio(n, c.Level.Load() >= 127) {
			seq++
			c.writeAudio(marker, seq, uint32(n*960))
		}
		c.sendVideo(uint16(n), uint32(n*1800))
	})
}

// dtxEvery is how often a DTX sender still sends while silent (20 frames
// of 20 ms: the 400 ms of Opus DTX in WebRTC).
const dtxEvery = 20

// sendsAudio reports whether frame n goes out (see DTX). silent is what
// a browser's encoder would judge from the signal.
func (c *Client) sendsAudio(n int, silent bool) bool {
	return !c.DTX.Load() || !silent || n%dtxEvery == 0
}

// tick calls f every 20 ms with a frame counter until the client closes.
func (c *Client) tick(f func(n int)) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		f(n)
	}
}

func (c *Client) writeAudio(marker byte, seq uint16, ts uint32) {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: []byte{marker, 0xfc, 0xff, 0xfe}}
	_ = p.SetExtension(1, []byte{byte(c.Level.Load()) | 0x80})
	_ = c.audio.WriteRTP(p)
}

// writeVideo sends a one-packet VP8 "keyframe": descriptor S=1, PID=0 and a
// payload header with the P bit clear.
// sendVideo writes one video frame on the plain or the simulcast track.
func (c *Client) sendVideo(seq uint16, ts uint32) {
	if c.opts.VideoKbps > 0 && c.layers == nil {
		return // the camera sends the plain track (camera.go)
	}
	if c.DropVideo.Load() > 0 {
		c.DropVideo.Add(-1)
		return
	}
	switch {
	case c.video != nil && c.opts.H264:
		c.writeH264(ts)
	case c.video != nil:
		c.writeVideo(seq, ts)
	}
	if c.layers != nil {
		c.writeLayers(seq, ts)
	}
}

func (c *Client) writeVideo(seq uint16, ts uint32) {
	kind := c.frameType()
	if kind == 0x00 && c.DropKeyframes.Load() > 0 {
		c.DropKeyframes.Add(-1)
		return
	}
	payload := []byte{0x10, kind, byte(c.VideoMarker.Load()), 0, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: payload}
	_ = c.video.WriteRTP(p)
}

func (c *Client) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	mid := c.midOf(recv)
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		c.mu.Lock()
		c.videoSSRCs = append(c.videoSSRCs, uint32(remote.SSRC()))
		c.mu.Unlock()
	}
	c.goOwned(func() {
		dec, _ := codec.NewOpusDecoder(codec.OpusSampleRate, 1)
		pcm := make([]int16, 5760)
		buf := make([]byte, 1500)
		var p rtp.Packet
		for {
			n, _, err := remote.Read(buf)
			if err != nil {
				return
			}
			if p.Unmarshal(buf[:n]) != nil {
				continue
			}
			c.count(remote.Kind(), mid, &p)
			if remote.Kind() == webrtc.RTPCodecTypeAudio && c.listen.Load() && dec != nil {
				if k, err := dec.Decode(p.Payload, pcm); err == nil {
					c.heard.write(pcm[:k])
					if h := c.hook.Load(); h != nil {
						(*h)(pcm[:k])
					}
				}
			}
		}
	})
}

func (c *Client) midOf(recv *webrtc.RTPReceiver) string {
	for _, t := range c.pc.GetTransceivers() {
		if t.Receiver() == recv {
			return t.Mid()
		}
	}
	return ""
}

// slotStats counts the video received on one transceiver.
type slotStats struct {
	packets   uint64
	marker    byte
	layer     byte
	keyframes uint64
	last      time.Time
	maxGap    time.Duration
}

func (c *Client) count(kind webrtc.RTPCodecType, mid string, p *rtp.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kind == webrtc.RTPCodecTypeVideo {
		c.VideoReceived.Add(1)
		st := c.slots[mid]
		if st == nil {
			st = &slotStats{}
			c.slots[mid] = st
		}
		st.packets++
		if len(p.Payload) > 3 && (!c.opts.H264 || p.Payload[0]&0x1f != 24) { // a STAP-A holds no marker
			st.marker, st.layer = p.Payload[2], p.Payload[3]
		}
		st.arrived(p.Payload, time.Now(), c.opts.H264)
		if len(c.videoSSRCs) > 0 && p.SSRC == c.videoSSRCs[0] {
			c.resends.arrived(p.SequenceNumber)
		}
		return
	}
	c.AudioReceived.Add(1)
	c.AudioBytes.Add(uint64(len(p.Payload)))
	c.clock.observe(p.Timestamp, codec.OpusPacketSamples(p.Payload), time.Now())
	if len(p.Payload) > 0 {
		c.markers[p.Payload[0]]++
	}
}

// VideoOn reports the packets received on the video transceiver mid and
// the sender marker of the latest one.
func (c *Client) VideoOn(mid string) (packets uint64, marker byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.slots[mid]; st != nil {
		return st.packets, st.marker
	}
	return 0, 0
}

// Listen makes the client decode received audio for Heard.
func (c *Client) Listen() { c.listen.Store(true) }

// OnAudio makes the client decode received audio and call f with every
// decoded frame, on the track's read goroutine.
func (c *Client) OnAudio(f func(pcm []int16)) {
	c.hook.Store(&f)
	c.listen.Store(true)
}

// StopListening stops decoding received audio and drops OnAudio's hook: a
// load tool that needed only the first sound spares the decoder's CPU.
func (c *Client) StopListening() {
	c.listen.Store(false)
	c.hook.Store(nil)
}

// ForgetHeard drops the audio heard so far: Heard then returns only what
// arrives from now on (a check after hold cannot pass on older audio).
func (c *Client) ForgetHeard() { c.heard.reset() }

// Heard returns the last d of decoded received audio.
func (c *Client) Heard(d time.Duration) []int16 {
	return c.heard.last(int(d.Seconds() * codec.OpusSampleRate))
}

// AnswerOffer answers a server-initiated offer (renegotiation).
func (c *Client) AnswerOffer(ctx context.Context, offer string) (string, error) {
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("sfutest: server offer: %w", err)
	}
	if strings.Contains(offer, "a=recvonly") {
		if err := c.attachScreen(); err != nil {
			return "", err
		}
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("sfutest: answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("sfutest: set answer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return c.pc.LocalDescription().SDP, nil
}

// Received reports how many audio packets arrived carrying marker.
func (c *Client) Received(marker byte) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markers[marker]
}

// Close stops sending, closes the PeerConnection and waits for goroutines.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		err = c.pc.Close()
		c.wg.Wait()
	})
	return err
}

// honourDTX turns DTX on when the server's SDP asks for it on Opus, as a
// browser's Opus encoder does.
func (c *Client) honourDTX(sdpText string) {
	if strings.Contains(sdpText, "usedtx=1") {
		c.DTX.Store(true)
	}
}
