package sfu

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/pion/sdp/v3"
)

// ErrNoOfferHandler: the leg cannot renegotiate because nobody carries
// server offers to its browser.
var ErrNoOfferHandler = errors.New("sfu: leg has no offer handler")

// renegotiation tracks server-initiated offers; at most one is in flight,
// and requests made meanwhile are folded into the next one.
type renegotiation struct {
	onOffer    func(sdp string)
	pending    bool   // an offer awaits the browser's answer
	again      bool   // more tracks were added while pending
	iceRestart bool   // the next offer restarts ICE (icerestart.go)
	offer      string // the pending offer, sent again when the tab resumes
}

// SetOfferHandler installs where server-initiated offers go: the tab's
// signalling, which returns the browser's answer through ApplyAnswer.
func (l *WebRTCLeg) SetOfferHandler(f func(sdp string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reneg.onOffer = f
}

// EnsureVideoSlots adds send-only video tracks until the leg has n.
func (l *WebRTCLeg) EnsureVideoSlots(n int) ([]*DownTrack, error) {
	added := false
	for l.countVideoDowns() < n {
		s := l.newSection(Video)
		l.mu.Lock()
		l.sections = append(l.sections, s)
		l.mu.Unlock()
		l.attachDown(s)
		added = true
	}
	if added {
		if err := l.renegotiate(); err != nil {
			return nil, err
		}
	}
	var out []*DownTrack
	for _, d := range l.Downs() {
		if d.Kind() == Video {
			out = append(out, d)
		}
	}
	return out, nil
}

// newSection is a video section the server adds to its next offer, with
// the payload type and extension ids the browser gave video (or sensible
// ones for a leg that had none): a new mid, no direction yet.
func (l *WebRTCLeg) newSection(kind Kind) *section {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &section{media: kind.String(), kind: kind, protos: []string{"UDP", "TLS", "RTP", "SAVPF"},
		pt: 96, rtpmap: "VP8/90000", mid: l.freeMidLocked(), added: true}
	for _, o := range l.sections {
		if o.kind == kind && !o.rejected && o.rtpmap != "" {
			s.pt, s.rtpmap, s.fmtp = o.pt, o.rtpmap, o.fmtp
			for _, e := range o.exts {
				if e.uri == sdp.SDESMidURI || e.uri == sdp.TransportCCURI {
					s.exts = append(s.exts, e)
				}
			}
			return s
		}
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.TransportCCURI} {
		s.exts = append(s.exts, extmap{id: l.freeExtLocked(uri), uri: uri})
	}
	return s
}

// freeMidLocked is the lowest number not yet used as a mid.
func (l *WebRTCLeg) freeMidLocked() string {
	for n := len(l.sections); ; n++ {
		mid := strconv.Itoa(n)
		used := false
		for _, s := range l.sections {
			used = used || s.mid == mid
		}
		if !used {
			return mid
		}
	}
}

// freeExtLocked is the id the leg already uses for uri, or a default id no
// other extension has, so one id means one extension across the bundle.
func (l *WebRTCLeg) freeExtLocked(uri string) uint8 {
	taken := map[uint8]bool{}
	for _, s := range l.sections {
		for _, e := range s.exts {
			if e.uri == uri {
				return e.id
			}
			taken[e.id] = true
		}
	}
	if id := defaultExtIDs[uri]; !taken[id] {
		return id
	}
	for id := uint8(1); id < 15; id++ {
		if !taken[id] {
			return id
		}
	}
	return 0
}

func (l *WebRTCLeg) countVideoDowns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, d := range l.downs {
		if d.Kind() == Video {
			n++
		}
	}
	return n
}

// SlotMid returns the mid of d's section, "" until the browser accepted it.
func (l *WebRTCLeg) SlotMid(d *DownTrack) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sections {
		if s.down == d && !s.added {
			return s.mid
		}
	}
	return ""
}

// renegotiate sends a new offer now, or after the pending one is answered.
func (l *WebRTCLeg) renegotiate() error {
	l.mu.Lock()
	if l.reneg.onOffer == nil {
		l.mu.Unlock()
		return ErrNoOfferHandler
	}
	if l.reneg.pending {
		l.reneg.again = true
		l.mu.Unlock()
		return nil
	}
	l.reneg.pending = true
	send := l.reneg.onOffer
	l.mu.Unlock()
	offer, err := l.createOffer()
	l.mu.Lock()
	l.reneg.pending, l.reneg.offer = err == nil, offer
	l.mu.Unlock()
	if err != nil {
		return err
	}
	send(offer)
	return nil
}

// createOffer writes the server's offer, with new ICE credentials when a
// restart was asked for.
func (l *WebRTCLeg) createOffer() (string, error) {
	if l.takeICERestart() {
		if _, err := l.peer.RestartICE("", ""); err != nil {
			return "", wrapf(err, "restart ice")
		}
	}
	return l.describe(true)
}

// ApplyAnswer completes a server-initiated renegotiation, then sends the
// next offer if tracks were added meanwhile.
func (l *WebRTCLeg) ApplyAnswer(text string) error {
	l.mu.Lock()
	if !l.reneg.pending {
		l.mu.Unlock()
		return fmt.Errorf("%w: no offer is pending", ErrNegotiation)
	}
	l.mu.Unlock()
	err := l.applyAnswer(text)
	l.mu.Lock()
	l.reneg.pending, l.reneg.offer = false, ""
	again := l.reneg.again || l.reneg.iceRestart
	l.reneg.again = false
	l.mu.Unlock()
	if err != nil {
		return err
	}
	l.armTWCC() // new video slots are numbered too
	for _, d := range l.Downs() {
		d.RequestKeyframe() // new receivers need a picture to start from
	}
	if again {
		return l.renegotiate()
	}
	return nil
}

// applyAnswer takes the browser's ICE ufrag, its SSRCs and which of the
// server's new sections it accepted.
func (l *WebRTCLeg) applyAnswer(text string) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return errors.Join(ErrNegotiation, wrapf(err, "remote answer"))
	}
	ufrag, _, _ := iceParams(&d)
	if ufrag == "" {
		return fmt.Errorf("%w: answer lacks ice-ufrag", ErrNegotiation)
	}
	l.peer.SetRemoteUfrag(ufrag)
	l.media.learnOffer(&d)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, md := range d.MediaDescriptions {
		mid, _ := md.Attribute("mid")
		for _, s := range l.sections {
			if s.mid == mid && md.MediaName.Port.Value != 0 {
				s.added = false
				if s.writer != nil {
					s.writer.known.Store(true)
				}
			}
		}
	}
	return nil
}
