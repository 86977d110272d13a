package sfu

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"
)

// ErrNoOfferHandler: the leg cannot renegotiate because nobody carries
// server offers to its browser.
var ErrNoOfferHandler = errors.New("sfu: leg has no offer handler")

// negotiateGatherTimeout bounds ICE gathering for a server offer; the
// candidates are already known, so this is quick.
const negotiateGatherTimeout = 3 * time.Second

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
		if err := l.addDown(Video); err != nil {
			return nil, err
		}
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

// SlotMid returns the mid of d's transceiver.
func (l *WebRTCLeg) SlotMid(d *DownTrack) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.Index(l.downs, d)
	if i < 0 {
		return ""
	}
	for _, t := range l.pc.GetTransceivers() {
		if t.Sender() == l.senders[i] {
			return t.Mid()
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

func (l *WebRTCLeg) createOffer() (string, error) {
	offer, err := l.pc.CreateOffer(l.offerOptions())
	if err != nil {
		return "", wrapf(err, "create offer")
	}
	gathered := webrtc.GatheringCompletePromise(l.pc)
	if err := l.pc.SetLocalDescription(offer); err != nil {
		return "", wrapf(err, "set local offer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), negotiateGatherTimeout)
	defer cancel()
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", wrapf(ctx.Err(), "gather")
	}
	return askForDTX(l.pc.LocalDescription().SDP), nil
}

// ApplyAnswer completes a server-initiated renegotiation, then sends the
// next offer if tracks were added meanwhile.
func (l *WebRTCLeg) ApplyAnswer(sdp string) error {
	l.mu.Lock()
	if !l.reneg.pending {
		l.mu.Unlock()
		return fmt.Errorf("%w: no offer is pending", ErrNegotiation)
	}
	l.mu.Unlock()
	err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
	l.mu.Lock()
	l.reneg.pending, l.reneg.offer = false, ""
	again := l.reneg.again || l.reneg.iceRestart
	l.reneg.again = false
	l.mu.Unlock()
	if err != nil {
		return errors.Join(ErrNegotiation, wrapf(err, "remote answer"))
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
