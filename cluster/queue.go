package cluster

import "sync"

// queue runs callbacks in order on one goroutine it owns, so that
// subscribers and watchers are never called concurrently and those who
// push never wait for them.
type queue struct {
	mu    sync.Mutex
	items []func()
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

func newQueue() *queue {
	q := &queue{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// push schedules f; after close it is dropped.
func (q *queue) push(f func()) {
	q.mu.Lock()
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		}
		q.mu.Lock()
		items := q.items
		q.items = nil
		q.mu.Unlock()
		for _, f := range items {
			f()
		}
	}
}

// close stops the goroutine and waits for it.
func (q *queue) close() {
	close(q.stop)
	<-q.done
}
