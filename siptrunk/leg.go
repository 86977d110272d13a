package siptrunk

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// dialog is the SIP side of a leg once established.
type dialog interface {
	// bye ends an established dialog.
	bye(ctx context.Context) error
	// remoteTarget is the request-URI of requests inside the dialog.
	remoteTarget() sip.Uri
	// session sends requests inside the dialog.
	session() dialogSession
	// replaces names the dialog for a Replaces header.
	replaces() string
}

// Leg is one SIP dialog as an sfu.Leg: one audio UpTrack publishing Opus
// (so browsers and rooms need no change) and one audio DownTrack whose
// writer transcodes to the trunk's codec.
type Leg struct {
	id     string
	ident  sfu.Identity
	origin sfu.Origin // the trunk, and whether we dialled out; fixed at creation
	log    *slog.Logger
	media  sipmedia.Session
	dlg    atomic.Pointer[dialog]
	up     *sfu.UpTrack
	down   *sfu.DownTrack
	vup    *sfu.UpTrack   // the peer's video (nil: audio-only call)
	vdown  *sfu.DownTrack // our video to the peer
	upPipe *sipmedia.Upstream

	onDTMF    func(rune) // how SendDTMF reaches the peer; set by the trunk
	transport string     // the trunk's SIP transport (udp: large requests go over TCP)
	trunk     *Trunk     // the trunk the dialog belongs to

	endOnce sync.Once
	reason  atomic.Value // sfu.Reason
	done    chan struct{}
	wg      sync.WaitGroup
	callID  string            // call control's id of the call this leg is in
	held    atomic.Bool       // the peer holds the call
	events  chan inboundEvent // inbound: ringing/answer from call control
	remove  func()            // forgets the leg in the trunk's dialog table

	reqMu      sync.Mutex    // one request of ours in the dialog at a time
	sdpVersion atomic.Uint64 // added to o= of our re-offers
	holdReq    chan bool     // our side's hold state to send (latest wins)
	ourDir     atomic.Value  // direction of our last re-offer (hold)
	peerDir    atomic.Value  // direction of the peer's answer to it
	answerDir  atomic.Value  // direction of our last answer to a peer's re-offer
	timer      *sessionTimer // RFC 4028; nil: none negotiated; set before start
	// mediaTimeout ends the call when the peer's media stops (0: off);
	// set before start.
	mediaTimeout time.Duration
	refreshes    atomic.Uint64 // session refreshes we sent
	answered     chan struct{} // closed when the dialog is established
	answerOnce   sync.Once
	referring    atomic.Bool // the peer's REFER is being carried out
	handingOver  atomic.Bool // our REFER hands this dialog to the PBX
	// referOut receives the sipfrag codes of the PBX's NOTIFYs while our
	// own REFER (refer_to_trunk) waits; nil otherwise.
	referOut atomic.Pointer[chan int]
	// ctx ends when the leg starts ending: its goroutines stop, and our
	// pending in-dialog requests (hold, refresh) give up then instead of
	// delaying Done.
	ctx  context.Context
	stop context.CancelFunc
}

// newLeg builds the leg's tracks over m, whose codec is negotiated.
func newLeg(id string, ident sfu.Identity, origin sfu.Origin, m sipmedia.Session, log *slog.Logger) (*Leg, error) {
	l := &Leg{id: id, ident: ident, origin: origin, media: m, log: log.With("leg", id), done: make(chan struct{}),
		holdReq: make(chan bool, 1), answered: make(chan struct{})}
	l.ctx, l.stop = context.WithCancel(context.Background())
	l.up = sfu.NewUpTrack("audio", sfu.Audio, "audio/opus")
	up, err := sipmedia.NewUpstream(l.up, m.Codec())
	if err != nil {
		return nil, err
	}
	l.upPipe = up
	down, err := sipmedia.NewDownstream(m, m.Codec())
	if err != nil {
		return nil, err
	}
	l.down = sfu.NewDownTrack(sfu.Audio, "audio/opus", down, nil)
	l.addVideo()
	return l, nil
}

// addVideo gives the leg a video up and down track when its media
// negotiated video: passed through both ways, keyframe requests relayed.
func (l *Leg) addVideo() {
	vm, ok := l.media.(sipmedia.Video)
	if !ok {
		return
	}
	mime, ok := vm.VideoMime()
	if !ok {
		return
	}
	l.vup = sfu.NewUpTrack("video", sfu.Video, mime)
	l.vup.SetKeyframeFunc(vm.RequestKeyframe)
	l.vdown = sfu.NewDownTrack(sfu.Video, mime, vm, nil)
	vm.OnKeyframeRequest(l.vdown.RequestKeyframe)
}

// start begins media and the leg's three workers: our hold requests,
// the session timer, and the media watch (failure, timeout).
func (l *Leg) start() {
	if vm, ok := l.media.(sipmedia.Video); ok && l.vup != nil {
		vm.StartVideo(l.vup.Forward)
	}
	l.media.Start(l.upPipe.Handle)
	for _, worker := range []func(){l.holdLoop, l.runTimer, l.watchMedia} {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			worker()
		}()
	}
}

// setDialog records the established dialog; in-dialog features (hold,
// session timer) start working from here.
func (l *Leg) setDialog(d dialog) {
	l.dlg.Store(&d)
	l.answerOnce.Do(func() { close(l.answered) })
}

// ID identifies the leg.
func (l *Leg) ID() string { return l.id }

// Identity is the outside party (its number and CallerID name).
func (l *Leg) Identity() sfu.Identity { return l.ident }

// Describe implements sfu.Describer: a SIP party, its codec on the trunk
// and how its media is protected, for the status page.
func (l *Leg) Describe() sfu.LegInfo {
	info := sfu.LegInfo{ID: l.id, Number: l.ident.Number, Name: l.ident.Name, Kind: "sip",
		Codecs: []string{l.media.Codec().Encoding}, Encryption: l.media.Encryption()}
	if l.vup != nil {
		info.Codecs = append(info.Codecs, strings.TrimPrefix(l.vup.MimeType(), "video/"))
	}
	return info
}

// Origin is the trunk the dialog is on and whether we dialled it (an
// inbound caller's Identity comes from its From header; its Origin never
// does).
func (l *Leg) Origin() sfu.Origin { return l.origin }

// Ups is the peer's audio, as Opus, and its video if the call has any.
func (l *Leg) Ups() []*sfu.UpTrack {
	if l.vup != nil {
		return []*sfu.UpTrack{l.up, l.vup}
	}
	return []*sfu.UpTrack{l.up}
}

// Downs is what the peer hears (and sees, on a video call).
func (l *Leg) Downs() []*sfu.DownTrack {
	if l.vdown != nil {
		return []*sfu.DownTrack{l.down, l.vdown}
	}
	return []*sfu.DownTrack{l.down}
}

// Done is closed when the dialog has ended and media stopped.
func (l *Leg) Done() <-chan struct{} { return l.done }

// EndReason is why the leg ended.
func (l *Leg) EndReason() sfu.Reason {
	if r, ok := l.reason.Load().(sfu.Reason); ok {
		return r
	}
	return sfu.ReasonHangup
}

// Observer is who hears about this call: the leg itself (ringing and
// answer become 180/200 of an inbound call; hold changes reach every leg
// as HoldState).
func (l *Leg) Observer() sfu.CallObserver { return l }

// Hangup sends BYE (if the dialog is up) and stops media. Idempotent.
func (l *Leg) Hangup(ctx context.Context, reason sfu.Reason) error {
	l.end(reason, true)
	return nil
}

// SendDTMF sends a key pressed on our side to the peer.
func (l *Leg) SendDTMF(digit rune) {
	if l.onDTMF != nil {
		l.onDTMF(digit)
	}
}

// end finishes the leg once: BYE when bye is set (our side hangs up),
// media closed, goroutines waited for, Done closed.
func (l *Leg) end(reason sfu.Reason, bye bool) {
	l.begin(reason, bye)
	if bye {
		<-l.done
	}
}

// begin starts ending the leg (once) without waiting for it.
func (l *Leg) begin(reason sfu.Reason, bye bool) {
	if reason == sfu.ReasonHangup && l.handingOver.Load() {
		reason = sfu.ReasonTransferred // the PBX ends the dialog it took over
	}
	l.endOnce.Do(func() {
		l.reason.Store(reason)
		l.stop()
		go l.finish(bye)
	})
}

func (l *Leg) finish(bye bool) {
	defer close(l.done)
	if d := l.dlg.Load(); bye && d != nil {
		if l.referring.Load() && l.EndReason() == sfu.ReasonTransferred {
			l.notifyRefer("200 OK", "terminated;reason=noresource")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := (*d).bye(ctx); err != nil {
			l.log.Debug("BYE failed", "err", err)
		}
		cancel()
	}
	_ = l.media.Close()
	l.wg.Wait()
	if l.remove != nil {
		l.remove()
	}
	l.log.Info("SIP leg ended", "reason", l.EndReason())
}

// sendRFC4733 sends digit as an RFC 4733 event (start, update, three ends).
func (l *Leg) sendRFC4733(d rune) {
	ev, ok := sfu.DTMFEvent(d)
	if !ok {
		return
	}
	if err := l.media.WriteEvent(sipmedia.EventPayloads(ev)); err != nil {
		l.log.Debug("RFC 4733 DTMF not sent", "err", err)
	}
}

// What a SIP leg offers call control (sfu/legcaps.go lists the optional
// capabilities). It has no sfu.VideoSlotLeg (a SIP peer takes one video,
// negotiated at setup) and no sfu.EstimatingLeg (a PBX sends no bandwidth
// estimate); call control then uses one slot and no estimate.
var (
	_ sfu.Leg          = (*Leg)(nil)
	_ sfu.ObservedLeg  = (*Leg)(nil)
	_ sfu.Describer    = (*Leg)(nil)
	_ sfu.Replacer     = (*Leg)(nil)
	_ sfu.CallObserver = (*Leg)(nil)
	_ sfu.HoldObserver = (*Leg)(nil)
)
