package web

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"xphone/configs"
	"xphone/sfu"
)

// Directory tells which extensions exist; auth.Store implements it.
type Directory interface {
	Lookup(ext string) (configs.Extension, bool)
}

// Registry knows the open tabs of every logged-in extension and rings them:
// it is the sfu.Dialer for extensions.
type Registry struct {
	dir   atomic.Pointer[Directory]
	media *sfu.MediaAPI
	log   *slog.Logger

	mu    sync.Mutex // guards tabs and rings
	tabs  map[string][]*tab
	rings map[string]*ring

	x *xcalls // calls across nodes; nil until UseCluster

	// changed hears that an extension's activity (tabs, calls, rings) may
	// have changed: the desk recomputes its presence. It is called with
	// no lock held and must not block.
	changed atomic.Pointer[func(ext string)]
}

// NewRegistry returns an empty registry.
func NewRegistry(dir Directory, media *sfu.MediaAPI, log *slog.Logger) *Registry {
	r := &Registry{media: media, log: log, tabs: map[string][]*tab{}, rings: map[string]*ring{}}
	r.SetDirectory(dir)
	return r
}

// SetDirectory swaps the extension directory (config reload).
func (r *Registry) SetDirectory(dir Directory) { r.dir.Store(&dir) }

func (r *Registry) lookup(number string) (configs.Extension, bool) {
	return (*r.dir.Load()).Lookup(number)
}

// Reaches reports whether number is a configured extension.
func (r *Registry) Reaches(number string) bool {
	_, ok := r.lookup(number)
	return ok
}

// Online reports whether ext has at least one open tab.
func (r *Registry) Online(ext string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.tabs[ext]) > 0
}

// onChange sets who hears of activity changes (the desk).
func (r *Registry) onChange(f func(ext string)) { r.changed.Store(&f) }

// touched tells the listener that ext's activity may have changed.
func (r *Registry) touched(ext string) {
	if f := r.changed.Load(); f != nil {
		(*f)(ext)
	}
}

// activity is what ext's presence is made of: a tab open, a call in a tab
// (or being dialled or accepted), a call ringing it.
func (r *Registry) activity(ext string) (online, inCall, rung bool) {
	r.mu.Lock()
	tabs := slices.Clone(r.tabs[ext])
	var rings []*ring
	for _, rg := range r.rings {
		if rg.req.To == ext {
			rings = append(rings, rg)
		}
	}
	r.mu.Unlock()
	for _, t := range tabs {
		t.mu.Lock()
		inCall = inCall || len(t.calls)+t.coming > 0
		t.mu.Unlock()
	}
	for _, rg := range rings {
		rg.mu.Lock()
		rung = rung || rg.state == ringing
		rg.mu.Unlock()
	}
	return len(tabs) > 0, inCall, rung
}

func (r *Registry) addTab(t *tab) {
	r.mu.Lock()
	r.tabs[t.ext.Number] = append(r.tabs[t.ext.Number], t)
	r.mu.Unlock()
	r.touched(t.ext.Number)
}

func (r *Registry) removeTab(t *tab) {
	defer r.touched(t.ext.Number)
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.tabs[t.ext.Number]
	for i, have := range list {
		if have == t {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(r.tabs, t.ext.Number)
		return
	}
	r.tabs[t.ext.Number] = list
}

// tabsOf returns ext's tabs.
func (r *Registry) tabsOf(ext string) []*tab {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tabs[ext])
}

// tabsWhere returns the tabs for which keep is true.
func (r *Registry) tabsWhere(keep func(*tab) bool) []*tab {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tab
	for _, list := range r.tabs {
		for _, t := range list {
			if keep(t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Dial rings every tab of the extension, on this node and on every other
// node holding some, and waits for the first answer.
func (r *Registry) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	ext, ok := r.lookup(req.To)
	if !ok {
		return nil, sfu.ErrNotFound
	}
	if ext.Xphone && r.x != nil {
		if nodes := r.homeNodes(ctx, req.To); len(nodes) > 0 {
			return r.dialFork(ctx, req, ext, nodes)
		}
	}
	rg := r.startRing(req, ext)
	if rg == nil {
		return nil, sfu.ErrUnavailable
	}
	defer r.endRing(rg)
	rg.notifyIncoming()
	req.Ringing()
	select {
	case res := <-rg.result:
		return res.leg, res.err
	case <-ctx.Done():
		cause := context.Cause(ctx)
		if !rg.cancel(cause) {
			// Decided just as ctx ended: an answered leg is not wanted any more.
			if res := <-rg.result; res.leg != nil {
				_ = res.leg.Hangup(context.Background(), sfu.ReasonCancelled)
			}
		}
		return nil, cause
	}
}

func (r *Registry) startRing(req sfu.DialRequest, ext configs.Extension) *ring {
	return r.startRingWith(req, ext, nil)
}

// startRingWith is startRing with prep run on the ring before any tab can
// see it (a call across nodes sets how its leg is made).
func (r *Registry) startRingWith(req sfu.DialRequest, ext configs.Extension, prep func(*ring)) *ring {
	r.mu.Lock()
	tabs := r.tabs[ext.Number]
	if !ext.Xphone || len(tabs) == 0 {
		r.mu.Unlock()
		return nil
	}
	rg := newRing(req, tabs, r.media, r.log)
	if prep != nil {
		prep(rg)
	}
	r.rings[req.CallID] = rg
	r.mu.Unlock()
	r.touched(req.To)
	return rg
}

func (r *Registry) endRing(rg *ring) {
	r.mu.Lock()
	delete(r.rings, rg.req.CallID)
	r.mu.Unlock()
	r.touched(rg.req.To)
}

func (r *Registry) ring(callID string) *ring {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rings[callID]
}

// forgetTab removes a closed tab from the registry and from every call
// ringing it; a call left with no tab to ring fails as unavailable.
func (r *Registry) forgetTab(t *tab) {
	r.removeTab(t)
	r.mu.Lock()
	rings := make([]*ring, 0, len(r.rings))
	for _, rg := range r.rings {
		rings = append(rings, rg)
	}
	r.mu.Unlock()
	for _, rg := range rings {
		rg.dropTab(t)
	}
}

// ringsOf returns the calls ringing t right now, so a resumed tab shows
// their popups again.
func (r *Registry) ringsOf(t *tab) []*ring {
	r.mu.Lock()
	all := make([]*ring, 0, len(r.rings))
	for _, rg := range r.rings {
		all = append(all, rg)
	}
	r.mu.Unlock()
	var out []*ring
	for _, rg := range all {
		if rg.ringingTab(t) {
			out = append(out, rg)
		}
	}
	return out
}
