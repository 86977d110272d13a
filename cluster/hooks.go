package cluster

import "sync"

// hooks holds callbacks by key (a topic, or "" for node watchers) and
// runs them on a queue, in order, never concurrently.
type hooks[T any] struct {
	mu   sync.Mutex
	next int
	fns  map[string]map[int]func(T)
	q    *queue
}

func newHooks[T any](q *queue) *hooks[T] {
	return &hooks[T]{fns: map[string]map[int]func(T){}, q: q}
}

// add registers fn under key until the returned stop.
func (h *hooks[T]) add(key string, fn func(T)) (stop func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	if h.fns[key] == nil {
		h.fns[key] = map[int]func(T){}
	}
	h.fns[key][id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.fns[key], id)
			h.mu.Unlock()
		})
	}
}

// emit queues v for every callback under key.
func (h *hooks[T]) emit(key string, v T) {
	h.mu.Lock()
	fns := make([]func(T), 0, len(h.fns[key]))
	for _, fn := range h.fns[key] {
		fns = append(fns, fn)
	}
	h.mu.Unlock()
	if len(fns) == 0 {
		return
	}
	h.q.push(func() {
		for _, fn := range fns {
			fn(v)
		}
	})
}

// event is one broadcast as subscribers get it.
type event struct {
	from    string
	payload []byte
}
