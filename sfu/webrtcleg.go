package sfu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"xphone/sfu/bwe"
)

// WebRTCLeg is a browser's PeerConnection to the server: DTLS-SRTP media
// with one up and one down track per negotiated kind.
type WebRTCLeg struct {
	id    string
	ident Identity
	log   *slog.Logger
	pc    *webrtc.PeerConnection
	ups   []*UpTrack

	mu       sync.Mutex // guards closing, downs, senders and renegotiation state
	downs    []*DownTrack
	senders  []*webrtc.RTPSender // parallel to downs
	reneg    renegotiation
	screen   screenState // the shared screen's receiver (webrtcleg_screen.go)
	screenMu sync.Mutex  // serialises adding it
	dtmfSink atomic.Pointer[func(rune)]
	stats    *Stats
	created  time.Time
	estimate atomic.Int64   // REMB from the browser, bits/s
	problems []MediaProblem // what of the offer could not be used; fixed at negotiation
	bwe      *bwe.Estimator // from the browser's TWCC feedback (twcc.go)
	observer atomic.Pointer[CallObserver]
	closing  bool
	reason   Reason
	// Liveness (webrtcleg_liveness.go): RTCP read, and whether ICE ever
	// connected; live is the monitor that hangs up a vanished party.
	rtcpIn        atomic.Uint64
	everConnected atomic.Bool
	live          *livenessMonitor
	wg            sync.WaitGroup // read loops
	done          chan struct{}
	hangOnce      sync.Once
}

// NewWebRTCLeg answers a browser's SDP offer. It returns the leg and the
// answer with all ICE candidates, waiting for gathering at most until ctx ends.
func (m *MediaAPI) NewWebRTCLeg(ctx context.Context, ident Identity, offer string) (*WebRTCLeg, string, error) {
	pc, err := m.api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, "", wrapf(err, "new peer connection")
	}
	l := &WebRTCLeg{id: NewID("leg"), ident: ident, pc: pc, done: make(chan struct{}), stats: m.stats, created: time.Now(),
		bwe: bwe.NewEstimator(&bwe.History{})}
	l.log = m.log.With("leg", l.id, "ext", ident.Number)
	answer, err := l.negotiate(ctx, offer)
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	m.stats.LegsActive.Add(1)
	m.stats.LegsTotal.Add(1)
	l.armTWCC()
	l.live = m.live
	m.live.add(l)
	return l, answer, nil
}

// negotiate applies the offer, adds a down track per kind the browser wants
// to receive, and produces the answer.
func (l *WebRTCLeg) negotiate(ctx context.Context, offer string) (string, error) {
	l.pc.OnTrack(l.onTrack)
	l.pc.OnConnectionStateChange(l.onConnectionState)
	o := parseOffer(offer)
	l.problems = o.problems()
	for _, p := range l.problems {
		l.log.Info("browser media not usable", "kind", p.Kind, "reason", p.Reason, "detail", p.Message)
		if p.Reason == ProblemLayers {
			offer, o.videoRIDs = withoutSimulcast(offer), nil
		}
	}
	if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", errors.Join(ErrNegotiation, wrapf(err, "remote offer"))
	}
	for _, kind := range []Kind{Audio, Video} {
		if !o.canUse(kind) {
			continue // no codec in common: the answer turns this kind off
		}
		if o.sends[kind] {
			l.ups = append(l.ups, newUpTracks(l.id, kind, o.videoRIDs)...)
		}
		if o.receives[kind] {
			if err := l.addDown(kind); err != nil {
				return "", err
			}
		}
	}
	answer, err := l.pc.CreateAnswer(nil)
	if err != nil {
		return "", errors.Join(ErrNegotiation, wrapf(err, "create answer"))
	}
	gathered := webrtc.GatheringCompletePromise(l.pc)
	if err := l.pc.SetLocalDescription(answer); err != nil {
		return "", errors.Join(ErrNegotiation, wrapf(err, "local answer"))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", wrapf(ctx.Err(), "gather candidates")
	}
	local := l.pc.LocalDescription().SDP
	if !strings.Contains(local, "a=candidate:") {
		// An answer without candidates (c=0.0.0.0) connects nothing: the
		// browser would show a connected call and stay silent.
		l.log.Error("no ICE candidate for a browser: no media address", "err", ErrNoMedia)
		return "", ErrNoMedia
	}
	return askForDTX(local), nil
}

// addDown creates the track this leg receives of kind, and its RTCP reader.
// addDown adds a track this leg receives of kind. While answering the
// browser's offer it rides on the browser's transceiver; later (extra video
// slots) it gets a send-only transceiver of its own. Track ids are unique
// per leg: browsers reject two m-lines with the same msid.
func (l *WebRTCLeg) addDown(kind Kind) error {
	codec := codecOf(kind)
	l.mu.Lock()
	n := len(l.downs)
	answering := l.pc.RemoteDescription() != nil && l.pc.LocalDescription() == nil
	l.mu.Unlock()
	local, err := webrtc.NewTrackLocalStaticRTP(codec, fmt.Sprintf("%s-%d", kind, n), "xphone-"+l.id)
	if err != nil {
		return wrapf(err, "local %s track", kind)
	}
	var sender *webrtc.RTPSender
	if answering {
		sender, err = l.pc.AddTrack(local)
	} else {
		var tr *webrtc.RTPTransceiver
		tr, err = l.pc.AddTransceiverFromTrack(local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err == nil {
			sender = tr.Sender()
		}
	}
	if err != nil {
		return wrapf(err, "add %s track", kind)
	}
	down := NewDownTrack(kind, codec.MimeType, local, l.stats)
	l.mu.Lock()
	l.downs = append(l.downs, down)
	l.senders = append(l.senders, sender)
	l.mu.Unlock()
	l.goOwned(func() { l.readRTCP(sender, down) })
	return nil
}

func codecOf(kind Kind) webrtc.RTPCodecCapability {
	if kind == Video {
		return vp8Codec.RTPCodecCapability
	}
	return opusCodec.RTPCodecCapability
}

// readRTCP drains a sender's RTCP (the interceptors need it read), passes
// keyframe requests from the browser on to the track's current source and
// answers its NACKs from the source's cache (downtrack_resend.go).
func (l *WebRTCLeg) readRTCP(sender *webrtc.RTPSender, down *DownTrack) {
	var ssrc uint32
	if enc := sender.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	}
	buf := make([]byte, 1500)
	var resend *resendScratch
	for {
		n, _, err := sender.Read(buf)
		if err != nil {
			return
		}
		l.rtcpIn.Add(1)
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				down.RequestKeyframe()
			case *rtcp.TransportLayerNack:
				if resend == nil {
					resend = new(resendScratch) // only for tracks that get NACKs: video
				}
				down.resendLost(p, monoNow(), resend)
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				l.estimate.Store(int64(p.Bitrate))
			case *rtcp.TransportLayerCC:
				l.bwe.OnFeedback(p, time.Now())
			case *rtcp.ReceiverReport:
				for _, r := range p.Reports {
					if r.SSRC == ssrc {
						down.noteLoss(r.FractionLost)
					}
				}
			}
		}
	}
}

// EstimatedBitrate is what the browser can receive, in bits/s: the lower
// of its own estimate (REMB, when it sends one) and the server's from its
// TWCC feedback; 0 when neither knows of a limit.
func (l *WebRTCLeg) EstimatedBitrate() int {
	remb, twcc := int(l.estimate.Load()), l.bwe.Estimate()
	if twcc > 0 {
		twcc += audioReserve // only video is numbered (twcc.go): the audio rides beside it
	}
	switch {
	case remb == 0:
		return twcc
	case twcc == 0:
		return remb
	}
	return min(remb, twcc)
}

// onTrack binds an arriving remote track to its UpTrack and starts reading.
func (l *WebRTCLeg) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	kind := Audio
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		kind = Video
	}
	up := l.upFor(kind, remote.RID())
	if s := l.screenFor(recv); s != nil {
		up = s
	}
	if up == nil {
		l.log.Warn("unexpected remote track", "kind", kind, "rid", remote.RID())
		return
	}
	ssrc := uint32(remote.SSRC())
	up.SetKeyframeFunc(func() {
		_ = l.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
	})
	params := recv.GetParameters()
	for _, ext := range params.HeaderExtensions {
		if ext.URI == sdp.AudioLevelURI && kind == Audio {
			up.SetAudioLevelExtension(uint8(ext.ID))
		}
	}
	var dtmfPTs []uint8
	for _, c := range params.Codecs {
		if strings.EqualFold(c.MimeType, mimeTelephoneEvent) {
			dtmfPTs = append(dtmfPTs, uint8(c.PayloadType))
		}
	}
	up.SetDTMFPayloadTypes(dtmfPTs)
	l.goOwned(func() { readRTP(remote, up) })
	rid := remote.RID()
	l.goOwned(func() { drainRTCP(recv, rid, &l.rtcpIn) })
	up.RequestKeyframe()
}

// drainRTCP reads what the browser sends about a stream it sends us
// (sender reports, SDES). Unread, pion keeps up to 100 kB of it per stream,
// which fills over a long meeting, and the receiver-report interceptor
// never sees the sender reports it needs for the browser's round-trip time.
// Each read counts into seen, for the leg's liveness.
func drainRTCP(recv *webrtc.RTPReceiver, rid string, seen *atomic.Uint64) {
	buf := make([]byte, 1500)
	for {
		var err error
		if rid == "" {
			_, _, err = recv.Read(buf)
		} else {
			_, _, err = recv.ReadSimulcast(buf, rid)
		}
		if err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
		seen.Add(1)
	}
}

// maxReadErrors ends a read loop that gets only errors: the track is gone
// even if pion did not say io.EOF.
const maxReadErrors = 100

// readRTP is the per-track read loop: one buffer and one packet, reused. A
// bad packet (say, an unknown payload type) is skipped, not fatal.
func readRTP(remote *webrtc.TrackRemote, up *UpTrack) {
	defer up.releaseCache()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for errs := 0; errs < maxReadErrors; {
		n, _, err := remote.Read(buf)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			errs++
			continue
		}
		errs = 0
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		up.Forward(&pkt)
	}
}

// goOwned runs f in a goroutine that Hangup waits for, unless the leg is
// already closing.
func (l *WebRTCLeg) goOwned(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
}

func (l *WebRTCLeg) up(kind Kind) *UpTrack { return l.upFor(kind, "") }

// upFor finds the up track of kind and simulcast rid ("" without simulcast).
func (l *WebRTCLeg) upFor(kind Kind, rid string) *UpTrack {
	for _, u := range l.ups {
		if u.Kind() == kind && u.RID() == rid {
			return u
		}
	}
	return nil
}

func (l *WebRTCLeg) onConnectionState(state webrtc.PeerConnectionState) {
	l.log.Debug("peer connection state", "state", state.String())
	l.noteState(state)
	if state == webrtc.PeerConnectionStateFailed {
		_ = l.Hangup(context.Background(), l.failedReason())
	}
}

// ID identifies the leg.
func (l *WebRTCLeg) ID() string { return l.id }

// SetObserver installs who hears about calls this leg answered (the tab).
func (l *WebRTCLeg) SetObserver(o CallObserver) { l.observer.Store(&o) }

// Observer is who hears about calls this leg answered; nil if nobody.
func (l *WebRTCLeg) Observer() CallObserver {
	if o := l.observer.Load(); o != nil {
		return *o
	}
	return nil
}

// SetDTMFSink installs where keys pressed by the far party go: the tab
// shows them.
func (l *WebRTCLeg) SetDTMFSink(f func(digit rune)) { l.dtmfSink.Store(&f) }

// SendDTMF passes a key pressed by the far party to the browser.
func (l *WebRTCLeg) SendDTMF(digit rune) {
	if f := l.dtmfSink.Load(); f != nil {
		(*f)(digit)
	}
}

// MediaProblems lists what of the browser's offer the server could not use
// (empty when everything could), for its user to be told.
func (l *WebRTCLeg) MediaProblems() []MediaProblem { return slices.Clone(l.problems) }

// Identity is the extension the leg belongs to.
func (l *WebRTCLeg) Identity() Identity { return l.ident }

// Origin is the browser session of the extension the leg was created
// for (the web layer creates legs only for logged-in sessions).
func (l *WebRTCLeg) Origin() Origin { return ExtensionOrigin(l.ident.Number) }

// Ups are the tracks the browser sends.
func (l *WebRTCLeg) Ups() []*UpTrack { return l.ups }

// Downs are the tracks the browser receives.
func (l *WebRTCLeg) Downs() []*DownTrack {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.downs)
}

// Done is closed once the leg has ended and its goroutines have stopped.
func (l *WebRTCLeg) Done() <-chan struct{} { return l.done }

// EndReason is why the leg ended.
func (l *WebRTCLeg) EndReason() Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// Hangup closes the PeerConnection and waits for the leg's goroutines. The
// first reason given is kept.
func (l *WebRTCLeg) Hangup(_ context.Context, reason Reason) error {
	l.hangOnce.Do(func() {
		l.mu.Lock()
		l.closing, l.reason = true, reason
		l.mu.Unlock()
		if l.live != nil {
			l.live.remove(l)
		}
		err := l.pc.Close()
		l.wg.Wait()
		if err != nil {
			l.log.Debug("close peer connection", "err", err)
		}
		l.log.Info("leg ended", "reason", string(reason))
		l.stats.LegsActive.Add(-1)
		close(l.done)
	})
	<-l.done
	return nil
}
