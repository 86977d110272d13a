package sfu

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/pion/rtp"

	recording "xphone/sfu/recorder"
)

// RecordingConfig says where a room's recordings go.
type RecordingConfig struct {
	Dir string // "": recording is not available
	// Create opens a recording's file; nil: regular files. Tests inject a
	// disk that fills up.
	Create func(path string) (recording.WriteAtCloser, error)
}

// roomRecording is a room's running recording and the sinks feeding it.
type roomRecording struct {
	rec   *recording.Recording
	audio *recAudioSink
	video *recVideoSink
}

// recAudioSink takes the room's shared mix (everyone who talks) as the
// mixer encodes it: the recording costs no decoding.
type recAudioSink struct{ rec *recording.Recording }

// WriteRTP implements RTPSink on the conference goroutine; it never blocks.
func (s *recAudioSink) WriteRTP(_ *UpTrack, p *rtp.Packet) { s.rec.WriteAudio(p) }

// recVideoSink takes the recorded video: the packets of one source at a
// time, numbered so the recorder restarts at the new source's key frame.
type recVideoSink struct {
	rec *recording.Recording
	src atomic.Pointer[UpTrack]
	id  atomic.Uint32
}

// WriteRTP implements RTPSink on the source's read loop.
func (s *recVideoSink) WriteRTP(src *UpTrack, p *rtp.Packet) {
	if s.src.Load() == src {
		s.rec.WriteVideo(s.id.Load(), p)
	}
}

// Record starts (on) or stops the room's recording at by's request. The
// policy says who may (ErrNotAllowed otherwise). Files are created and
// finished off the conference goroutine; the mixer never waits for a disk.
func (c *Conference) Record(ctx context.Context, by Leg, on bool) error {
	var stop *roomRecording
	var cfg recording.Config
	var codecs AudioCodecs
	err := c.request(ctx, by, func(m *confMember) error {
		if !allowed(c.cfg.Meeting.Record, m) || c.cfg.Recording.Dir == "" {
			c.log.Warn("recording refused", "by", by.Identity().Number, "on", on)
			return ErrNotAllowed
		}
		if !on {
			stop = c.detachRecording(m, NoticeRecordingStopped, "")
			return nil
		}
		if c.meeting.rec == nil {
			cfg = recording.Config{Dir: c.cfg.Recording.Dir, Room: c.spec.Number, Started: c.cfg.Now(),
				Comments: []string{"ROOM=" + c.spec.Number, "TITLE=" + c.spec.Name}, Create: c.cfg.Recording.Create, Log: c.log}
			codecs = c.cfg.Codecs
		}
		return nil
	})
	if stop != nil {
		c.finishRecording(stop)
	}
	if err != nil || !on || cfg.Dir == "" {
		return err
	}
	return c.startRecording(ctx, by, cfg, codecs)
}

// startRecording creates the files and then hooks them to the mix.
func (c *Conference) startRecording(ctx context.Context, by Leg, cfg recording.Config, codecs AudioCodecs) error {
	silence, err := silenceFrame(codecs)
	if err != nil {
		return err
	}
	cfg.Silence = silence
	rec, err := recording.Start(cfg)
	if err != nil {
		_ = c.request(ctx, by, func(m *confMember) error {
			c.notify(Notice{Kind: NoticeRecordingFailed, Detail: err.Error()}, nil)
			return nil
		})
		c.log.Error("recording could not start", "err", err)
		return err
	}
	attached := false
	err = c.request(ctx, by, func(m *confMember) error {
		if c.meeting.rec == nil { // nobody started one meanwhile
			c.attachRecording(rec, m)
			attached = true
		}
		return nil
	})
	if !attached {
		rec.Discard()
	}
	return err
}

// silenceFrame encodes one 20 ms frame of silence with the mixer's codec.
func silenceFrame(codecs AudioCodecs) ([]byte, error) {
	enc, err := codecs.NewEncoder()
	if err != nil {
		return nil, wrapf(err, "silence encoder")
	}
	buf := make([]byte, 256)
	n, err := enc.Encode(make([]int16, 960), buf)
	if err != nil {
		return nil, wrapf(err, "encode silence")
	}
	return buf[:n], nil
}

// attachRecording feeds rec from the room: the shared mix, the recorded
// video, and the recording tone everyone (SIP parties too) hears.
func (c *Conference) attachRecording(rec *recording.Recording, by *confMember) {
	rr := &roomRecording{rec: rec, audio: &recAudioSink{rec: rec}, video: &recVideoSink{rec: rec}}
	c.meeting.rec = rr
	c.sharedUp.Subscribe(rr.audio)
	c.mix.Announce(recordingTone)
	c.recordVideo()
	c.broadcastState()
	c.notify(noticeAbout(NoticeRecording, nil, by), nil)
	c.log.Info("recording started", "by", by.leg.Identity().Number, "file", rec.Name())
}

// detachRecording unhooks the room's recording and tells everyone why it
// stopped; the caller finishes it off the conference goroutine.
func (c *Conference) detachRecording(by *confMember, kind NoticeKind, detail string) *roomRecording {
	rr := c.meeting.rec
	if rr == nil {
		return nil
	}
	c.meeting.rec = nil
	c.sharedUp.Unsubscribe(rr.audio)
	if src := rr.video.src.Swap(nil); src != nil {
		src.Unsubscribe(rr.video)
	}
	c.broadcastState()
	n := noticeAbout(kind, nil, by)
	n.Detail = detail
	c.notify(n, nil)
	return rr
}

// finishRecording writes out and closes a detached recording.
func (c *Conference) finishRecording(rr *roomRecording) {
	info, err := rr.rec.Stop()
	if err != nil {
		c.log.Error("recording ended with an error", "file", info.Name, "err", err)
		return
	}
	c.log.Info("recording finished", "file", info.Name, "duration", info.Duration.String(), "bytes", info.Size,
		"video", info.Video, "dropped", rr.rec.Dropped())
}

// checkRecording stops a recording whose writing failed (a full disk),
// with a notice to everyone; the meeting goes on. It runs once a second.
func (c *Conference) checkRecording() {
	if rr := c.meeting.rec; rr != nil && rr.rec.Failed() {
		c.detachRecording(nil, NoticeRecordingFailed, "writing the recording failed (is the disk full?)")
		c.finishRecording(rr) // after a failure this only collects the error
	}
}

// recordVideo points the recording at the video worth keeping: a shared
// screen, else the dominant speaker's (or most recent speaker's) camera
// at the best layer the policy allows.
func (c *Conference) recordVideo() {
	rr := c.meeting.rec
	if rr == nil {
		return
	}
	want := c.recordedVideo()
	if want != nil && want.MimeType() != vp8Codec.MimeType {
		want = nil // the recording is WebM with VP8; H.264 is not written
	}
	cur := rr.video.src.Load()
	if want == cur {
		return
	}
	if cur != nil {
		cur.Unsubscribe(rr.video)
	}
	rr.video.id.Add(1)
	rr.video.src.Store(want)
	if want != nil {
		want.Subscribe(rr.video)
		want.RequestKeyframe()
	}
}

func (c *Conference) recordedVideo() *UpTrack {
	if c.spec.Video == VideoNone {
		return nil
	}
	for _, m := range c.members {
		if m.meet.screen != nil {
			return m.meet.screen
		}
	}
	for _, id := range append([]string{c.dominant}, reversed(c.history)...) {
		if o := c.memberByID(id); o != nil && o.videoUp() != nil {
			return pickLayer(o.videoLayers(), c.cfg.Video.MaxLayer, 0)
		}
	}
	for _, o := range c.members {
		if o.videoUp() != nil {
			return pickLayer(o.videoLayers(), c.cfg.Video.MaxLayer, 0)
		}
	}
	return nil
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// recordingTone is what everyone hears when a recording starts: two short
// 1400 Hz beeps.
var recordingTone = func() []int16 {
	const rate, beep, gap, freq = 48000, 9600, 7200, 1400.0
	pcm := make([]int16, 2*beep+gap)
	for _, start := range []int{0, beep + gap} {
		for i := range beep {
			fade := min(1, float64(min(i, beep-i))/240) // 5 ms ramps, no clicks
			pcm[start+i] = int16(6000 * fade * math.Sin(2*math.Pi*freq*float64(i)/rate))
		}
	}
	return pcm
}()
