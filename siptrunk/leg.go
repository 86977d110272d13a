package siptrunk

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"xphone/sfu"
)

// dialog is the SIP side of a leg: how to end it.
type dialog interface {
	// bye ends an established dialog.
	bye(ctx context.Context) error
}

// Leg is one SIP dialog as an sfu.Leg: one audio UpTrack publishing Opus
// (so browsers and rooms need no change) and one audio DownTrack whose
// writer transcodes to the trunk's codec.
type Leg struct {
	id     string
	ident  sfu.Identity
	log    *slog.Logger
	media  mediaSession
	dlg    atomic.Pointer[dialog]
	up     *sfu.UpTrack
	down   *sfu.DownTrack
	upPipe *upstream

	onDTMF func(rune) // how SendDTMF reaches the peer; set by the trunk

	// inbound calls: who hears ringing/answer (sends 180/200).
	observer sfu.CallObserver

	endOnce sync.Once
	reason  atomic.Value // sfu.Reason
	done    chan struct{}
	closing chan struct{}
	wg      sync.WaitGroup
	callID  string            // call control's id of the call this leg is in
	held    atomic.Bool       // the peer holds the call
	inbound bool              // the call came from the trunk
	events  chan inboundEvent // inbound: ringing/answer from call control
	remove  func()            // forgets the leg in the trunk's dialog table
}

// newLeg builds the leg's tracks over m, whose codec is negotiated.
func newLeg(id string, ident sfu.Identity, m mediaSession, log *slog.Logger) (*Leg, error) {
	l := &Leg{id: id, ident: ident, media: m, log: log.With("leg", id), done: make(chan struct{}), closing: make(chan struct{})}
	l.up = sfu.NewUpTrack("audio", sfu.Audio, "audio/opus")
	up, err := newUpstream(l.up, m.Codec())
	if err != nil {
		return nil, err
	}
	l.upPipe = up
	down, err := newDownstream(m, m.Codec())
	if err != nil {
		return nil, err
	}
	l.down = sfu.NewDownTrack(sfu.Audio, "audio/opus", down, nil)
	return l, nil
}

// start begins media and watches for transport failure.
func (l *Leg) start() {
	l.media.Start(l.upPipe.handle)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		select {
		case <-l.media.Failed():
			// The peer's dialog is still up: say BYE so it is not left
			// dangling (no BYE goes out before the dialog is established).
			// Not waiting: finish waits for this goroutine.
			l.begin(sfu.ReasonMediaFailed, true)
		case <-l.closing:
		}
	}()
}

func (l *Leg) setDialog(d dialog) { l.dlg.Store(&d) }

// ID identifies the leg.
func (l *Leg) ID() string { return l.id }

// Identity is the outside party (its number and CallerID name).
func (l *Leg) Identity() sfu.Identity { return l.ident }

// Ups is the peer's audio, as Opus.
func (l *Leg) Ups() []*sfu.UpTrack { return []*sfu.UpTrack{l.up} }

// Downs is what the peer hears.
func (l *Leg) Downs() []*sfu.DownTrack { return []*sfu.DownTrack{l.down} }

// Done is closed when the dialog has ended and media stopped.
func (l *Leg) Done() <-chan struct{} { return l.done }

// EndReason is why the leg ended.
func (l *Leg) EndReason() sfu.Reason {
	if r, ok := l.reason.Load().(sfu.Reason); ok {
		return r
	}
	return sfu.ReasonHangup
}

// Observer is who hears about this (inbound) call: the leg itself.
func (l *Leg) Observer() sfu.CallObserver { return l.observer }

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
	l.endOnce.Do(func() {
		l.reason.Store(reason)
		close(l.closing)
		go l.finish(bye)
	})
}

func (l *Leg) finish(bye bool) {
	defer close(l.done)
	if d := l.dlg.Load(); bye && d != nil {
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
	if err := l.media.WriteEvent(eventPayloads(ev)); err != nil {
		l.log.Debug("RFC 4733 DTMF not sent", "err", err)
	}
}
