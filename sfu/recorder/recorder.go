package recorder

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Errors of the recorder.
var (
	// ErrStart: the recording could not begin (directory or file).
	ErrStart = errors.New("recorder: cannot start recording")
	// ErrWrite: writing a recording failed (a full disk); it has stopped.
	ErrWrite = errors.New("recorder: write failed")
)

// Config describes one recording.
type Config struct {
	Dir      string    // where the files go; created if missing
	Room     string    // the room number, first part of the file names
	Started  time.Time // names the files
	Channels int       // channels of the mix; 0 means 1
	// Silence is one encoded 20 ms Opus frame of silence: the mixer sends
	// nothing while a room is silent (DTX), and the file fills the gaps
	// with it so its timeline stays the meeting's.
	Silence  []byte
	Comments []string // Ogg comments, e.g. "ROOM=800"
	// Create opens a new file for writing; nil: a regular file (mode 0640).
	Create func(path string) (WriteAtCloser, error)
	Log    *slog.Logger
}

// Recording is one running recording: the mix goes to NAME.ogg, video (if
// any arrives) to NAME.webm. Its writer goroutine runs until Stop.
type Recording struct {
	cfg  Config
	base string // path without extension
	t0   time.Time

	free chan *packet // buffers ready to be filled
	full chan *packet // buffers waiting to be written
	stop chan struct{}
	done chan struct{}
	once sync.Once

	failed  atomic.Bool
	dropped atomic.Uint64
	err     error // set by the writer before done closes
	result  Info  // set by the writer before done closes

	w *writer // owned by the writer goroutine
}

// poolSize is how many packets may wait for the writer: about a second of
// a room's mix plus a 1.5 Mbit/s video.
const poolSize = 256

// maxPayload is the biggest RTP payload kept (larger ones are dropped).
const maxPayload = 1500

type packetKind uint8

const (
	kindAudio packetKind = iota
	kindVideo
)

// packet is a copy of one RTP packet in a pooled buffer.
type packet struct {
	kind   packetKind
	source uint32 // video: which sender it came from
	seq    uint16
	ts     uint32
	marker bool
	at     time.Duration // arrival since the recording began
	n      int
	buf    [maxPayload]byte
}

// Start creates the directory and the Ogg file, writes the Opus headers
// and starts the writer.
func Start(cfg Config) (*Recording, error) {
	if cfg.Channels == 0 {
		cfg.Channels = 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Create == nil {
		cfg.Create = createFile
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	r := &Recording{cfg: cfg, t0: time.Now(),
		base: filepath.Join(cfg.Dir, fmt.Sprintf("%s-%s-%s", cfg.Room, cfg.Started.UTC().Format(nameTime), hex.EncodeToString(suffix))),
		free: make(chan *packet, poolSize), full: make(chan *packet, poolSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	w, err := newWriter(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	r.w = w
	for range poolSize {
		r.free <- &packet{}
	}
	go r.run()
	return r, nil
}

func createFile(path string) (WriteAtCloser, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
}

// Name is the recording's file name without extension.
func (r *Recording) Name() string { return filepath.Base(r.base) }

// WriteAudio takes one packet of the room's mix. It never blocks and does
// not keep p: a full pool drops the packet (counted in Dropped).
func (r *Recording) WriteAudio(p *rtp.Packet) { r.put(kindAudio, 0, p) }

// WriteVideo takes one packet of the recorded video; source names its
// sender: a new source waits for its next key frame.
func (r *Recording) WriteVideo(source uint32, p *rtp.Packet) { r.put(kindVideo, source, p) }

func (r *Recording) put(kind packetKind, source uint32, p *rtp.Packet) {
	if r.failed.Load() || len(p.Payload) > maxPayload {
		return
	}
	var pk *packet
	select {
	case pk = <-r.free:
	default:
		r.dropped.Add(1)
		return
	}
	pk.kind, pk.source, pk.seq, pk.ts, pk.marker = kind, source, p.SequenceNumber, p.Timestamp, p.Marker
	pk.at = time.Since(r.t0)
	pk.n = copy(pk.buf[:], p.Payload)
	r.full <- pk // never blocks: there are only poolSize buffers
}

// Failed reports whether writing failed; the recording has then stopped
// taking packets, and Stop returns the error.
func (r *Recording) Failed() bool { return r.failed.Load() }

// Dropped counts packets the writer could not keep up with.
func (r *Recording) Dropped() uint64 { return r.dropped.Load() }

// Stop writes what is queued, finishes the files and waits for the writer.
// It returns what was recorded, and the write error that stopped it early,
// if any.
func (r *Recording) Stop() (Info, error) {
	r.once.Do(func() { close(r.stop) })
	<-r.done
	return r.result, r.err
}

// run is the writer goroutine.
func (r *Recording) run() {
	defer close(r.done)
	for {
		select {
		case pk := <-r.full:
			r.write(pk)
		case <-r.stop:
			for len(r.full) > 0 {
				r.write(<-r.full)
			}
			r.finish()
			return
		}
	}
}

// write hands one packet to the muxers; the first error stops the recording.
func (r *Recording) write(pk *packet) {
	if !r.failed.Load() {
		var err error
		if pk.kind == kindAudio {
			err = r.w.audio(pk)
		} else {
			err = r.w.video(pk)
		}
		if err != nil {
			r.fail(err)
		}
	}
	r.free <- pk
}

func (r *Recording) fail(err error) {
	r.err = fmt.Errorf("%w: %v", ErrWrite, err)
	r.failed.Store(true)
	r.cfg.Log.Error("recording stopped: write failed", "file", r.Name(), "err", err)
	r.w.abandon()
}

func (r *Recording) finish() {
	if !r.failed.Load() {
		if err := r.w.close(); err != nil {
			r.err = fmt.Errorf("%w: %v", ErrWrite, err)
			r.failed.Store(true)
		}
	}
	r.result = r.w.info()
}

// Discard stops the recording and removes its files (a second recording
// started by a race with the first).
func (r *Recording) Discard() {
	_, _ = r.Stop()
	_ = os.Remove(r.base + ".ogg")
	_ = os.Remove(r.base + ".webm")
}
