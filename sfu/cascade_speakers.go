package sfu

import (
	"context"
	"slices"
)

// SetRole makes this node the room's host (it relays between the other
// nodes and decides the speaker frame, told to onSpeakers) or an edge (it
// takes the frame from the host through SetSpeakers). It applies to the
// live conference; call it again after the room restarts.
func (r *CascadeRoom) SetRole(ctx context.Context, host bool, onSpeakers func(dominant string, speaking []string)) {
	r.mu.Lock()
	r.host = host
	r.mu.Unlock()
	conf := r.live()
	if conf == nil {
		return
	}
	_ = conf.do(ctx, func() {
		conf.follow = !host
		conf.onSpeakers = nil
		if host {
			conf.onSpeakers = onSpeakers
		}
	})
}

// SetSpeakers applies the host's speaker frame on an edge.
func (r *CascadeRoom) SetSpeakers(ctx context.Context, dominant string, speaking []string) {
	conf := r.live()
	if conf == nil {
		return
	}
	_ = conf.do(ctx, func() {
		if !conf.follow || (dominant == conf.dominant && slices.Equal(speaking, conf.speaking)) {
			return
		}
		conf.applySpeakers(conf.cfg.Now(), dominant, speaking)
	})
}

// Speakers is the frame the host last decided, as the host knows it:
// what a newly linked edge starts with.
func (r *CascadeRoom) Speakers(ctx context.Context) (dominant string, speaking []string) {
	conf := r.live()
	if conf == nil {
		return "", nil
	}
	_ = conf.do(ctx, func() { dominant, speaking = conf.dominant, slices.Clone(conf.speaking) })
	return dominant, speaking
}

// RequestKeyframe asks the source of the track this node sends as ssrc
// for a keyframe: a local member's browser, or (on the host) the node a
// relayed stream comes from.
func (r *CascadeRoom) RequestKeyframe(ctx context.Context, ssrc uint32) {
	for _, leg := range r.members(ctx) {
		for _, up := range cascadeUps(leg) {
			if up.Kind() == Video && ssrcOf(leg, up) == ssrc {
				up.RequestKeyframe()
				return
			}
		}
	}
}
