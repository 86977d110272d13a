package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"

	"xphone/sfu/bwe"
	"xphone/sfu/engine"
	"xphone/sfu/rtcpclock"
)

// WebRTCLeg is a browser's connection to the server: DTLS-SRTP media on the
// MediaAPI's packet engine (sfu/engine), with one up track per kind (or
// simulcast layer) the browser sends and one down track per kind it
// receives. Its packets are handled in the engine's read goroutine; the
// leg itself has no goroutine.
type WebRTCLeg struct {
	id    string
	ident Identity
	log   *slog.Logger
	api   *MediaAPI
	peer  *engine.Peer
	ups   []*UpTrack

	mu       sync.Mutex // guards closing, downs, sections and renegotiation state
	downs    []*DownTrack
	sections []*section
	version  uint64 // o= session version of the SDP the server sends
	reneg    renegotiation
	screenMu sync.Mutex // serialises adding the screen receiver
	dtmfSink atomic.Pointer[func(rune)]
	stats    *Stats
	created  time.Time
	estimate atomic.Int64   // REMB from the browser, bits/s
	problems []MediaProblem // what of the offer could not be used; fixed at negotiation
	// bwe is the estimate from the browser's TWCC feedback (twcc.go),
	// made when a video track is first numbered: its send history (32 KB)
	// is nothing an audio-only participant needs.
	bwe      atomic.Pointer[bwe.Estimator]
	observer atomic.Pointer[CallObserver]
	media    legMedia                          // the engine's handler: routing by SSRC (webrtcleg_media.go)
	rtcp     atomic.Pointer[rtcpclock.Session] // set once the answer is written
	closing  bool
	reason   Reason
	// Liveness (webrtcleg_liveness.go): RTCP read; live is the monitor
	// that hangs up a vanished party.
	rtcpIn   atomic.Uint64
	live     *livenessMonitor
	done     chan struct{}
	hangOnce sync.Once
	// afters run when the leg ends (AfterDone); ended is set under mu
	// when done is closed, so none is registered too late.
	afters []*doneFunc
	ended  bool
}

// NewWebRTCLeg answers a browser's SDP offer. It returns the leg and the
// answer, which carries the engine's ICE-lite candidates; ctx is unused
// since nothing is gathered, and kept for the callers' sake.
func (m *MediaAPI) NewWebRTCLeg(_ context.Context, ident Identity, offer string) (*WebRTCLeg, string, error) {
	if m.eng == nil {
		// An answer without candidates connects nothing: the browser
		// would show a connected call and stay silent.
		m.log.Error("no ICE candidate for a browser: no media address", "err", ErrNoMedia)
		return nil, "", ErrNoMedia
	}
	l := &WebRTCLeg{id: NewID("leg"), ident: ident, api: m, done: make(chan struct{}), stats: m.stats,
		created: time.Now()}
	l.log = m.log.With("leg", l.id, "ext", ident.Number)
	l.media.init(l)
	answer, err := l.negotiate(offer)
	if err != nil {
		if l.peer != nil {
			l.peer.Close()
		}
		return nil, "", err
	}
	m.stats.LegsActive.Add(1)
	m.stats.LegsTotal.Add(1)
	l.startRTCP()
	l.armTWCC()
	l.live = m.live
	m.live.add(l)
	return l, answer, nil
}

// negotiate reads the offer, registers the engine peer, creates the tracks
// and writes the answer.
func (l *WebRTCLeg) negotiate(offer string) (string, error) {
	o := l.api.readOffer(offer)
	l.problems = o.problems()
	for _, p := range l.problems {
		l.log.Info("browser media not usable", "kind", p.Kind, "reason", p.Reason, "detail", p.Message)
		if p.Reason == ProblemLayers {
			offer, o.videoRIDs = withoutSimulcast(offer), nil
		}
	}
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(offer); err != nil {
		return "", errors.Join(ErrNegotiation, wrapf(err, "remote offer"))
	}
	ufrag, pwd, fp := iceParams(&parsed)
	if ufrag == "" || pwd == "" || fp == "" {
		return "", fmt.Errorf("%w: offer lacks ice-ufrag, ice-pwd or fingerprint", ErrNegotiation)
	}
	peer, err := l.api.eng.AddPeer(engine.PeerConfig{RemoteUfrag: ufrag, RemoteFingerprint: fp,
		Role: engine.RoleServer, Handler: &l.media})
	if err != nil {
		return "", errors.Join(ErrNegotiation, wrapf(err, "engine peer"))
	}
	l.mu.Lock()
	l.peer = peer // under mu: the read goroutine reads it in learn
	l.mu.Unlock()
	l.buildSections(&parsed, o)
	if !slices.ContainsFunc(l.sections, func(s *section) bool { return !s.rejected }) {
		return "", fmt.Errorf("%w: no usable media in the offer", ErrNegotiation)
	}
	l.media.learnOffer(&parsed)
	return l.describe(false)
}

// iceParams reads ufrag, password and fingerprint at session or media level.
func iceParams(d *sdp.SessionDescription) (ufrag, pwd, fp string) {
	look := func(key string) string {
		if v, ok := d.Attribute(key); ok {
			return v
		}
		for _, m := range d.MediaDescriptions {
			if v, ok := m.Attribute(key); ok {
				return v
			}
		}
		return ""
	}
	return look("ice-ufrag"), look("ice-pwd"), look("fingerprint")
}

// buildSections reads every offered m-section and creates the up tracks of
// each kind the browser sends and the down track of each kind it receives,
// on the first section of that kind that can carry it (as pion's AddTrack
// did).
func (l *WebRTCLeg) buildSections(parsed *sdp.SessionDescription, o offer) {
	ridsTaken := false
	haveUp, haveDown := map[Kind]bool{}, map[Kind]bool{}
	for _, md := range parsed.MediaDescriptions {
		s := offeredSection(md, o, ridsTaken)
		sec := &s
		l.sections = append(l.sections, sec)
		if s.rejected {
			continue
		}
		ridsTaken = ridsTaken || len(s.rids) > 0
		if s.recv && !haveUp[s.kind] {
			haveUp[s.kind] = true
			l.ups = append(l.ups, l.newUps(sec, o.videoRIDs)...)
		}
		if s.mayDown && !haveDown[s.kind] {
			haveDown[s.kind] = true
			l.attachDown(sec)
		}
	}
}

// newUps makes the up tracks of a section's kind, knowing their audio
// level extension and DTMF payload types before any packet flows.
func (l *WebRTCLeg) newUps(s *section, rids []string) []*UpTrack {
	ups := newUpTracks(l.id, s.kind, s.mime(), rids)
	var dtmf []uint8
	for _, f := range s.dtmf {
		dtmf = append(dtmf, f.pt)
	}
	for _, u := range ups {
		u.batch = l.api.batch // only the engine's read goroutine forwards it
		if s.kind == Audio {
			u.SetAudioLevelExtension(s.ext(sdp.AudioLevelURI))
			u.SetDTMFPayloadTypes(dtmf)
		}
	}
	return ups
}

// attachDown puts a new down track on s.
func (l *WebRTCLeg) attachDown(s *section) {
	s.send, s.ssrc = true, newSSRC()
	w := &legWriter{l: l, peer: l.peer, ssrc: s.ssrc, pt: s.pt}
	w.known.Store(!s.added) // a slot the server offers waits for the browser's answer
	s.down, s.writer = NewDownTrack(s.kind, s.mime(), w, l.stats), w
	l.mu.Lock()
	l.downs = append(l.downs, s.down)
	l.mu.Unlock()
	l.media.addDown(s.ssrc, s.down)
	if sess := l.rtcp.Load(); sess != nil {
		sess.AddOutgoing(s.ssrc, clockRate(s.kind))
	}
}

// describe writes the SDP of the current sections: the answer to the
// browser's offer, or a server offer.
func (l *WebRTCLeg) describe(offer bool) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	return writeSDP(l.id, l.version, l.sections, l.peer.Local(), offer)
}

// codecOf is the codec the server forwards for kind.
func codecOf(kind Kind) codecInfo {
	if kind == Video {
		return vp8Codec
	}
	return opusCodec
}

// EstimatedBitrate is what the browser can receive, in bits/s: the lower
// of its own estimate (REMB, when it sends one) and the server's from its
// TWCC feedback; 0 when neither knows of a limit.
func (l *WebRTCLeg) EstimatedBitrate() int {
	remb, twcc := int(l.estimate.Load()), 0
	if e := l.bwe.Load(); e != nil {
		twcc = e.Estimate()
	}
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

// Done is closed once the leg has ended.
func (l *WebRTCLeg) Done() <-chan struct{} { return l.done }

// EndReason is why the leg ended.
func (l *WebRTCLeg) EndReason() Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// Hangup closes the engine peer. The first reason given is kept.
func (l *WebRTCLeg) Hangup(_ context.Context, reason Reason) error {
	l.hangOnce.Do(func() {
		l.mu.Lock()
		l.closing, l.reason = true, reason
		l.mu.Unlock()
		if l.live != nil {
			l.live.remove(l)
		}
		if sess := l.rtcp.Load(); sess != nil {
			sess.Close()
		}
		l.peer.Close()
		for _, u := range l.allUps() {
			u.releaseCache()
		}
		l.log.Info("leg ended", "reason", string(reason))
		l.stats.LegsActive.Add(-1)
		close(l.done)
		l.mu.Lock()
		afters := l.afters
		l.afters, l.ended = nil, true
		l.mu.Unlock()
		for _, d := range afters {
			go d.run() // never under the caller's locks
		}
	})
	<-l.done
	return nil
}

// AfterDone runs f on its own goroutine once the leg has ended (at once
// if it has): a room or a tab watches the leg without a goroutine of its
// own. stop unregisters f and reports whether it stopped f from running.
func (l *WebRTCLeg) AfterDone(f func()) (stop func() bool) {
	d := &doneFunc{f: f}
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		go d.run()
		return d.stop
	}
	l.afters = append(l.afters, d)
	l.mu.Unlock()
	return d.stop
}

// allUps are the published tracks and the screen's, if any.
func (l *WebRTCLeg) allUps() []*UpTrack {
	ups := slices.Clone(l.ups)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sections {
		if s.screen != nil {
			ups = append(ups, s.screen)
		}
	}
	return ups
}
