package cluster

import (
	"context"
	"fmt"
)

func (n *memNode) Handle(method string, h Handler) {
	n.mu.Lock()
	n.handlers[method] = h
	n.mu.Unlock()
}

func (n *memNode) Subscribe(topic string, fn func(from string, payload []byte)) (stop func()) {
	return n.subs.add(topic, func(e event) { fn(e.from, e.payload) })
}

func (n *memNode) Broadcast(_ context.Context, topic string, payload []byte) error {
	if n.isClosed() {
		return ErrClosed
	}
	n.stats.broadcasts.Add(1)
	n.hub.mu.Lock()
	nodes := n.hub.liveLocked()
	n.hub.mu.Unlock()
	for _, o := range nodes {
		o.subs.emit(topic, event{from: n.info.ID, payload: append([]byte(nil), payload...)})
	}
	return nil
}

func (n *memNode) Call(ctx context.Context, node, method string, body []byte) ([]byte, error) {
	out, err := n.call(ctx, node, method, body)
	return out, n.stats.call(err)
}

func (n *memNode) call(ctx context.Context, node, method string, body []byte) ([]byte, error) {
	if n.isClosed() {
		return nil, ErrClosed
	}
	target := n.hub.node(node)
	if target == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoNode, node)
	}
	done := make(chan reply, 1)
	if !target.serve(ctx, n.info.ID, method, append([]byte(nil), body...), done) {
		return nil, fmt.Errorf("%w: %s", ErrNoNode, node)
	}
	select {
	case r := <-done:
		return r.body, r.err(node, method)
	case <-ctx.Done():
		return nil, fmt.Errorf("cluster: %s on %s: %w", method, node, ctx.Err())
	}
}

// serve runs method's handler on a goroutine this node owns and sends the
// reply to done; false when the node is closing.
func (n *memNode) serve(ctx context.Context, from, method string, body []byte, done chan<- reply) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	h := n.handlers[method]
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(n.life, cancel)() // Close ends the handler's context
		done <- runHandler(ctx, h, from, body)
	}()
	return true
}

// reply is a handler's outcome on the wire: Err is the handler's error
// text, NoHandler when the method has no handler.
type reply struct {
	body      []byte
	errText   string
	noHandler bool
}

// err turns a reply into the caller's error.
func (r reply) err(node, method string) error {
	switch {
	case r.noHandler:
		return fmt.Errorf("%w: %s on %s", ErrNoHandler, method, node)
	case r.errText != "":
		return &RemoteError{Node: node, Method: method, Msg: r.errText}
	}
	return nil
}

// runHandler calls h, nil meaning no handler registered.
func runHandler(ctx context.Context, h Handler, from string, body []byte) reply {
	if h == nil {
		return reply{noHandler: true}
	}
	out, err := h(ctx, from, body)
	if err != nil {
		return reply{errText: err.Error()}
	}
	return reply{body: out}
}
