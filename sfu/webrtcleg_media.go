package sfu

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"xphone/sfu/engine"
	"xphone/sfu/rtcpclock"
)

// legMedia is a leg's engine.Handler. Both methods run in the engine's
// read goroutine: a known SSRC goes straight to its UpTrack (a lock-free
// map lookup); an unknown one is learned from its mid and rid header
// extensions (or the SDP's a=ssrc lines) on its first packet.
type legMedia struct {
	l       *WebRTCLeg
	routes  atomic.Pointer[map[uint32]*UpTrack] // copy-on-write
	downs   atomic.Pointer[map[uint32]*DownTrack]
	mu      sync.Mutex        // serialises writers of routes and downs, and guards ssrcMid
	ssrcMid map[uint32]string // from a=ssrc lines: which section an SSRC belongs to
	unknown atomic.Uint64     // packets of an SSRC no section claims
}

func (m *legMedia) init(l *WebRTCLeg) {
	m.l = l
	m.routes.Store(&map[uint32]*UpTrack{})
	m.downs.Store(&map[uint32]*DownTrack{})
	m.ssrcMid = map[uint32]string{}
}

// OnRTP implements engine.Handler; the engine calls OnRTPRaw instead
// (webrtcleg_rtcp.go), which needs the packet's bytes for the RTCP session.
func (m *legMedia) OnRTP(p *rtp.Packet) {
	b, err := p.Marshal()
	if err == nil {
		m.OnRTPRaw(p, b)
	}
}

// learn finds the up track of a new SSRC and remembers it.
func (m *legMedia) learn(p *rtp.Packet) *UpTrack {
	l := m.l
	l.mu.Lock()
	s := l.sectionOf(p, m)
	var up *UpTrack
	if s != nil && s.recv {
		up = l.upOf(s, p)
	}
	l.mu.Unlock()
	if up == nil {
		return nil
	}
	stale := m.route(p.SSRC, up)
	m.keyframeTo(up, p.SSRC)
	if s := l.rtcp.Load(); s != nil {
		for _, old := range stale {
			s.RemoveIncoming(old)
		}
		s.AddIncoming(p.SSRC, clockRate(up.Kind()), up.Kind() == Video)
	}
	up.RequestKeyframe()
	return up
}

// route makes ssrc the one SSRC of up and returns the SSRCs up had before.
// An up track is one stream of the browser, so a new SSRC for it replaces
// the old (a restarted sender); keeping both would let a broken or hostile
// client grow the route table and the RTCP session with every SSRC it
// invents.
func (m *legMedia) route(ssrc uint32, up *UpTrack) (stale []uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.routes.Load()
	next := make(map[uint32]*UpTrack, len(cur)+1)
	for s, u := range cur {
		if u == up {
			stale = append(stale, s)
			continue
		}
		next[s] = u
	}
	next[ssrc] = up
	m.routes.Store(&next)
	return stale
}

// sectionOf finds the section a packet belongs to: by its mid extension,
// else by the SDP's a=ssrc, else the only receiving section with its
// payload type. l.mu is held.
func (l *WebRTCLeg) sectionOf(p *rtp.Packet, m *legMedia) *section {
	var mid string
	for _, s := range l.sections {
		if id := s.ext(sdp.SDESMidURI); id != 0 {
			if v := p.GetExtension(id); len(v) > 0 {
				mid = string(v)
				break
			}
		}
	}
	if mid == "" {
		m.mu.Lock()
		mid = m.ssrcMid[p.SSRC]
		m.mu.Unlock()
	}
	var byPT *section
	for _, s := range l.sections {
		if s.rejected {
			continue
		}
		if mid != "" && s.mid == mid {
			return s
		}
		if mid == "" && s.recv && (s.pt == p.PayloadType || slicesHasPT(s.dtmf, p.PayloadType)) {
			if byPT == nil {
				byPT = s
			}
		}
	}
	return byPT
}

func slicesHasPT(fs []format, pt uint8) bool {
	for _, f := range fs {
		if f.pt == pt {
			return true
		}
	}
	return false
}

// upOf is the up track of section s that p's rid names; a repair stream
// (RTX) is not forwarded. l.mu is held.
func (l *WebRTCLeg) upOf(s *section, p *rtp.Packet) *UpTrack {
	if s.screen != nil {
		return s.screen
	}
	if id := s.ext(sdp.SDESRepairRTPStreamIDURI); id != 0 && len(p.GetExtension(id)) > 0 {
		return nil
	}
	rid := ""
	if id := s.ext(sdp.SDESRTPStreamIDURI); id != 0 && len(s.rids) > 0 {
		rid = string(p.GetExtension(id))
	}
	if len(s.rids) > 0 && rid == "" {
		return nil // a simulcast layer not yet told apart
	}
	return l.upFor(s.kind, rid)
}

// keyframeTo makes up ask the browser for a keyframe of ssrc with a PLI.
func (m *legMedia) keyframeTo(up *UpTrack, ssrc uint32) {
	if up.Kind() != Video {
		return
	}
	peer := m.l.peer
	pli := rtcpclock.AppendPLI(nil, 0, ssrc)
	up.SetKeyframeFunc(func() { _ = peer.WriteRTCP(pli) })
}

// addDown lets RTCP about ssrc reach d.
func (m *legMedia) addDown(ssrc uint32, d *DownTrack) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := cloneMap(*m.downs.Load())
	next[ssrc] = d
	m.downs.Store(&next)
}

// learnOffer notes the a=ssrc lines of browser SDP by section.
func (m *legMedia) learnOffer(d *sdp.SessionDescription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, md := range d.MediaDescriptions {
		mid, _ := md.Attribute("mid")
		for _, a := range md.Attributes {
			if a.Key != "ssrc" {
				continue
			}
			v, _, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.ParseUint(v, 10, 32); err == nil && mid != "" {
				m.ssrcMid[uint32(n)] = mid
			}
		}
	}
}

// OnRTCP implements engine.Handler: keyframe requests, NACKs, loss and
// bandwidth feedback from the browser about what the server sends, read
// by hand into the read goroutine's scratch (webrtcleg_rtcpwalk.go): no
// allocation per packet.
func (m *legMedia) OnRTCP(b []byte) {
	m.l.rtcpIn.Add(1)
	in := m.l.api.rtcpIn
	in.m, in.downs, in.now = m, *m.downs.Load(), time.Now()
	in.sess = m.l.rtcp.Load()
	_ = walkRTCP(b, &in.scratch, in)
	in.m, in.downs, in.sess = nil, nil, nil
}

// rtcpIn is the read goroutine's rtcpReader: it applies what one leg's
// RTCP says to that leg.
type rtcpIn struct {
	scratch rtcpScratch
	resend  resendScratch
	m       *legMedia
	downs   map[uint32]*DownTrack
	sess    *rtcpclock.Session
	now     time.Time
}

func (r *rtcpIn) senderReport(ssrc uint32, ntp uint64) {
	if r.sess != nil {
		r.sess.ReceivedSenderReport(ssrc, ntp, r.now)
	}
}

func (r *rtcpIn) lossReport(ssrc uint32, fractionLost uint8) {
	if d := r.downs[ssrc]; d != nil {
		d.noteLoss(fractionLost)
	}
}

func (r *rtcpIn) nack(n *rtcp.TransportLayerNack) {
	if d := r.downs[n.MediaSSRC]; d != nil {
		d.resendLost(n, monoNow(), &r.resend)
	}
}

func (r *rtcpIn) keyframe(ssrc uint32) {
	if d := r.downs[ssrc]; d != nil {
		d.RequestKeyframe()
	}
}

func (r *rtcpIn) remb(bitrate float32) { r.m.l.estimate.Store(int64(bitrate)) }

// twcc moves the leg's estimate; feedback before any video was numbered
// has nothing to tell it.
func (r *rtcpIn) twcc(fb *rtcp.TransportLayerCC) {
	if e := r.m.l.bwe.Load(); e != nil {
		e.OnFeedback(fb, r.now)
	}
}

// legWriter is a DownTrack's writer: it gives the packet the leg's SSRC
// and payload type for the track and seals it to the browser.
type legWriter struct {
	l    *WebRTCLeg
	peer *engine.Peer
	ssrc uint32
	pt   uint8
	// known: the browser has applied SDP that declares ssrc. Before, a
	// packet would reach a connected browser that cannot place it; Firefox
	// then files the SSRC under another receiver of the same payload type
	// and never shows the new slot's video.
	known atomic.Bool
}

// WriteRTP implements rtpWriter; p is restored before it returns. Packets
// before the browser connected are dropped quietly, as a pion track
// without bindings did.
func (w *legWriter) WriteRTP(p *rtp.Packet) error {
	if !w.known.Load() {
		return nil
	}
	ssrc, pt := p.SSRC, p.PayloadType
	p.SSRC, p.PayloadType = w.ssrc, w.pt
	err := w.peer.WriteRTP(p)
	if sess := w.l.rtcp.Load(); err == nil && sess != nil {
		sess.Sent(w.ssrc, p.Timestamp, len(p.Payload), time.Now())
	}
	p.SSRC, p.PayloadType = ssrc, pt
	if errors.Is(err, engine.ErrNotReady) {
		return nil
	}
	return err
}

// newSSRC picks a random non-zero SSRC for a server stream.
func newSSRC() uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:])
		if v := binary.BigEndian.Uint32(b[:]); v != 0 {
			return v
		}
	}
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
