package sfu

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"xphone/audiolevel"
	"xphone/sfu/mixer"

	"github.com/pion/rtp"
)

// VideoMode is how a conference forwards video (SPEC F20).
type VideoMode string

// Video modes of a conference room.
const (
	VideoAll     VideoMode = "all"     // everyone's video to everyone
	VideoSpeaker VideoMode = "speaker" // one video that follows the dominant speaker
	VideoLastN   VideoMode = "last_n"  // the N most recent speakers' video
	VideoNone    VideoMode = "none"    // audio only
)

// VideoPolicy picks simulcast layers (0 = lowest) and how many videos a
// last_n room shows.
type VideoPolicy struct {
	SpeakerLayer int // layer of the dominant speaker
	OthersLayer  int // layer of everyone else
	MaxLayer     int // never above this
	LastN        int // videos in a last_n room
	MaxBitrate   int // per-viewer video budget in bits/s; 0 = none
}

// RoomSpec is a configured conference room.
type RoomSpec struct {
	Number          string
	Name            string
	Video           VideoMode
	MaxParticipants int    // 0: unlimited
	PIN             string // digits a caller must give to join; "" for none
	// Moderators are the extensions that run the room (admins do too):
	// mute, remove, lock, and by default record.
	Moderators []string
}

// Member is one participant as clients see it.
type Member struct {
	ID     string `json:"id"` // the leg id
	Number string `json:"number"`
	Name   string `json:"name"`
	Video  bool   `json:"video"` // publishes video
	// Muted: their microphone is off, by their own choice or a
	// moderator's (ModMuted: the server does not mix them).
	Muted     bool `json:"muted,omitempty"`
	ModMuted  bool `json:"mod_muted,omitempty"`
	Hand      bool `json:"hand,omitempty"`      // a raised hand
	Moderator bool `json:"moderator,omitempty"` // may run the room
	Screen    bool `json:"screen,omitempty"`    // shares a screen
}

// Slot says which member's video a received video track shows.
type Slot struct {
	Mid    string `json:"mid"`
	Member string `json:"member,omitempty"` // member id; "" when the slot is idle
	Screen bool   `json:"screen,omitempty"` // the member's shared screen, not their camera
}

// ConferenceObserver hears what a participant's UI shows: the roster,
// who speaks, and which video track carries whom. Calls must not block.
type ConferenceObserver interface {
	Joined(callID string, room RoomSpec, self string)
	Roster(callID string, members []Member)
	Speakers(callID, dominant string, speaking []string)
	VideoSlots(callID string, slots []Slot)
}

// ErrRoomFull refuses a join beyond the room's max participants.
var ErrRoomFull = errors.New("sfu: conference room is full")

// ConferenceConfig are a conference's tunables.
type ConferenceConfig struct {
	Mixer   mixer.Config
	Video   VideoPolicy
	Speaker audiolevel.Params
	Codecs  AudioCodecs
	Tick    time.Duration // mixer period, 20 ms
	// DecideEvery runs the speaker detector every N mixer ticks.
	DecideEvery int
	Now         func() time.Time
	Stats       *Stats // nil: not counted
	// Meeting is who may do what in a meeting (conference_meeting.go).
	Meeting MeetingPolicy
	// Recording is where recordings go (conference_record.go).
	Recording RecordingConfig
}

// AudioCodecs makes the Opus coders a conference's mixer needs.
type AudioCodecs = mixer.Coders

// Conference is a live conference room. One goroutine owns all of its
// state: it runs the mixer tick, the speaker detector and membership
// changes in order, so no lock is needed between them.
type Conference struct {
	spec RoomSpec
	cfg  ConferenceConfig
	log  *slog.Logger

	requests chan func()
	stop     chan struct{}
	done     chan struct{}

	// Owned by the run goroutine.
	mix      *mixer.Mixer
	sharedUp *UpTrack
	// egress queues what the mixed streams send to browser legs during
	// one tick (or one request), sent in a few sendmmsg calls after it.
	egress   *readBatch
	detector *audiolevel.Detector
	members  []*confMember
	lastJoin time.Time // the latest join time given to a member of this node
	dominant string
	history  []string // recent dominant speakers, newest last
	ticks    int
	inputs   []audiolevel.Input
	speaking []string // who the detector last said speaks
	meeting  meetingRoom
	// follow: a node that is not the host of the room's cascade takes the
	// speaker frame from the host (cascade_speakers.go); onSpeakers tells
	// the host's cascade about each change.
	follow     bool
	onSpeakers func(dominant string, speaking []string)

	// Quiet pacing (conference_quiet.go): while nobody talks the loop
	// wakes once per quietBurst frames instead of every frame.
	quiet bool          // run goroutine's: the timer is set for a burst
	idle  atomic.Bool   // read loops: a talking packet must wake the loop
	wake  chan struct{} // such a wake-up (buffered: one is enough)
}

// confMember is one participant's wiring inside a conference.
type confMember struct {
	callID     string
	leg        Leg
	obs        ConferenceObserver
	part       *mixer.Participant
	personalUp *UpTrack
	audioDown  *DownTrack
	meter      *audiolevel.Meter
	sink       *mixSink
	slots      map[*DownTrack]string // video down → source key shown (conference_video.go)
	// slotsPending: the last slots told had one without a mid yet.
	slotsPending bool
	meet         meetingMember
	// joined is when the member joined the room: here, or on its own node
	// for a stand-in. The roster is in this order on every node.
	joined time.Time
}

func (m *confMember) info() Member {
	id := m.leg.Identity()
	return Member{ID: m.leg.ID(), Number: id.Number, Name: id.Name, Video: m.videoUp() != nil,
		Muted: m.meet.micOff || m.meet.modMuted, ModMuted: m.meet.modMuted, Hand: m.meet.hand,
		Moderator: m.meet.moderator, Screen: m.meet.screen != nil}
}

// videoUp is the member's best video layer, nil if they send no video.
func (m *confMember) videoUp() *UpTrack {
	layers := m.videoLayers()
	if len(layers) == 0 {
		return nil
	}
	return layers[len(layers)-1]
}

// videoLayers are the member's video up tracks, lowest layer first.
func (m *confMember) videoLayers() []*UpTrack { return videoLayers(m.leg) }

func (m *confMember) audioUp() *UpTrack {
	for _, u := range m.leg.Ups() {
		if u.Kind() == Audio {
			return u
		}
	}
	return nil
}

// DefaultVideoPolicy: the speaker in high quality, thumbnails low.
var DefaultVideoPolicy = VideoPolicy{SpeakerLayer: 2, OthersLayer: 0, MaxLayer: 2, LastN: 4}

// newConference builds the room and starts its goroutine.
func newConference(spec RoomSpec, cfg ConferenceConfig, log *slog.Logger) (*Conference, error) {
	if cfg.Video == (VideoPolicy{}) {
		cfg.Video = DefaultVideoPolicy
	}
	cfg.Meeting = cfg.Meeting.withDefaults()
	c := &Conference{
		spec: spec, cfg: cfg, log: log.With("room", spec.Number),
		requests: make(chan func()), stop: make(chan struct{}), done: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		sharedUp: NewUpTrack("mix-"+spec.Number, Audio, opusCodec.MimeType),
		detector: audiolevel.NewDetector(cfg.Speaker),
		egress:   newTickBatch(),
	}
	c.sharedUp.timeline = c.sharedUp.ID()
	c.sharedUp.batch = c.egress // only the run goroutine forwards it
	var err error
	if c.mix, err = mixer.New(cfg.Mixer, cfg.Codecs, c.sharedUp); err != nil {
		return nil, wrapf(err, "mixer")
	}
	go c.run()
	return c, nil
}

// run is the conference's goroutine. The mixer advances by media time
// (mediaclock.go): exactly one frame per period, with a late wake-up
// catching up on the frames it owes.
func (c *Conference) run() {
	defer close(c.done)
	clock := newMediaClock(c.cfg.Tick, maxMixBurst, c.cfg.Now())
	timer := time.NewTimer(c.cfg.Tick)
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case f := <-c.requests:
			f() // a reload may send the frames a stream held
			c.egress.flush(c.log)
			if c.quiet && !c.mix.Quiet() { // f started an announcement
				c.resume(timer, clock)
			}
		case <-c.wake:
			if c.talkWoke(clock, c.cfg.Now()) {
				c.egress.flush(c.log)
				c.resume(timer, clock)
			}
		case <-timer.C:
			c.advance(clock, c.cfg.Now())
			c.egress.flush(c.log) // a skip sends the frames streams held
			c.pace(timer, clock)
		}
	}
}

// advance produces the frames due at now (skipping the oldest of a long
// stall) and counts the catching up (not the planned bursts of a quiet
// room).
func (c *Conference) advance(clock *mediaClock, now time.Time) {
	wasQuiet := c.quiet
	produce, skip := clock.due(now)
	if skip > 0 {
		c.mix.Skip(skip)
	}
	for range produce {
		c.step(now)
	}
	if st := c.cfg.Stats; st != nil && !wasQuiet {
		st.MixCaughtUp.Add(uint64(max(0, produce-1)))
		st.MixSkipped.Add(uint64(skip))
	}
}

// step is one mixer tick, plus a speaker decision every DecideEvery ticks.
func (c *Conference) step(now time.Time) {
	c.mix.Tick()
	c.egress.flush(c.log)
	if c.cfg.Stats != nil {
		c.cfg.Stats.MixTick.Observe(c.cfg.Now().Sub(now))
	}
	c.ticks++
	if c.ticks%c.cfg.DecideEvery == 0 {
		c.decideSpeakers(now)
	}
	if c.ticks%5 == 0 {
		c.resendPendingSlots()
	}
	if ticksPerSecond := int(time.Second / c.cfg.Tick); c.ticks%ticksPerSecond == 0 {
		c.measureBitrates(1)
		c.relayer() // budgets and estimates change
		c.adaptFEC()
		c.lowerHands(now)
		c.recordVideo() // the best layer flowing may have changed
		c.checkRecording()
	}
}

// do runs f on the conference goroutine and waits for it.
func (c *Conference) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case c.requests <- func() { f(); close(done) }:
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// close stops the goroutine; members must have left.
func (c *Conference) close() {
	close(c.stop)
	<-c.done
	if rr := c.meeting.rec; rr != nil { // the goroutine is gone: its state is ours
		c.meeting.rec = nil
		c.finishRecording(rr)
	}
}

// mixSink feeds a participant's received audio into the mixer and meter.
type mixSink struct {
	part  *mixer.Participant
	meter *audiolevel.Meter
	now   func() time.Time
	wake  func(level uint8) // Conference.wakeOnTalk
}

// WriteRTP implements RTPSink on the read loop: no lock, no allocation.
func (s *mixSink) WriteRTP(src *UpTrack, p *rtp.Packet) {
	level := src.Level()
	if s.part.Muted() {
		level = audiolevel.Silence // muted by a moderator: never the speaker
	}
	s.meter.Observe(level, level < audiolevel.Silence, 20*time.Millisecond, s.now())
	s.part.Push(p.SequenceNumber, p.Payload, level)
	if s.wake != nil {
		s.wake(level) // after Push: the room's quiet check sees the level or is woken
	}
}
