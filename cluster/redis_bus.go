package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// envelope is one message on a node's channel or the events channel.
type envelope struct {
	Kind      string `json:"k"` // kindRequest, kindReply, kindEvent, kindLeave
	ID        uint64 `json:"id,omitempty"`
	From      string `json:"from"`
	Name      string `json:"name,omitempty"` // method or topic
	Deadline  int64  `json:"dl,omitempty"`   // unix ms; 0: none
	Body      []byte `json:"body,omitempty"`
	Err       string `json:"err,omitempty"`
	NoHandler bool   `json:"nh,omitempty"`
}

const (
	kindRequest = "req"
	kindReply   = "rep"
	kindEvent   = "ev"
	kindLeave   = "leave"
)

func (r *Redis) Handle(method string, h Handler) {
	r.mu.Lock()
	r.handlers[method] = h
	r.mu.Unlock()
}

func (r *Redis) Subscribe(topic string, fn func(from string, payload []byte)) (stop func()) {
	return r.subs.add(topic, func(e event) { fn(e.from, e.payload) })
}

func (r *Redis) Broadcast(ctx context.Context, topic string, payload []byte) error {
	if err := r.ready(); err != nil {
		return err
	}
	r.stats.broadcasts.Add(1)
	return r.publish(ctx, r.k.events(), envelope{Kind: kindEvent, From: r.o.NodeID, Name: topic, Body: payload})
}

// publish sends env on channel.
func (r *Redis) publish(ctx context.Context, channel string, env envelope) error {
	data, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("cluster: encode: %w", err)
	}
	return unavailable(r.rdb.Publish(ctx, channel, data).Err())
}

// Call to this node runs the handler directly; to another, it publishes
// on that node's channel: nobody subscribed there means no live node.
func (r *Redis) Call(ctx context.Context, node, method string, body []byte) ([]byte, error) {
	call := r.call
	if node == r.o.NodeID {
		call = r.callSelf
	}
	out, err := call(ctx, node, method, body)
	return out, r.stats.call(err)
}

// callSelf runs this node's own handler.
func (r *Redis) callSelf(ctx context.Context, _, method string, body []byte) ([]byte, error) {
	r.mu.Lock()
	h := r.handlers[method]
	r.mu.Unlock()
	rep := runHandler(ctx, h, r.o.NodeID, body)
	return rep.body, rep.err(r.o.NodeID, method)
}

func (r *Redis) call(ctx context.Context, node, method string, body []byte) ([]byte, error) {
	if node == "" {
		return nil, fmt.Errorf("%w: empty node id", ErrNoNode)
	}
	if err := r.ready(); err != nil {
		return nil, err
	}
	id, wait := r.expect()
	defer r.forget(id)
	env := envelope{Kind: kindRequest, ID: id, From: r.o.NodeID, Name: method, Body: body}
	if dl, ok := ctx.Deadline(); ok {
		env.Deadline = dl.UnixMilli()
	}
	data, _ := json.Marshal(env)
	n, err := r.rdb.Publish(ctx, r.k.rpc(node), data).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoNode, node)
	}
	select {
	case rep := <-wait:
		return rep.body, rep.err(node, method)
	case <-ctx.Done():
		return nil, fmt.Errorf("cluster: %s on %s: %w", method, node, ctx.Err())
	}
}

// expect makes room for the reply to a new request id.
func (r *Redis) expect() (uint64, chan reply) {
	id := r.nextID.Add(1)
	ch := make(chan reply, 1)
	r.mu.Lock()
	r.pending[id] = ch
	r.mu.Unlock()
	return id, ch
}

func (r *Redis) forget(id uint64) {
	r.mu.Lock()
	delete(r.pending, id)
	r.mu.Unlock()
}

// receive reads this node's channels until Close; go-redis reconnects and
// subscribes again by itself after a Redis outage.
func (r *Redis) receive() {
	defer r.wg.Done()
	for msg := range r.ps.Channel(redis.WithChannelHealthCheckInterval(r.o.TTL / 3)) {
		var env envelope
		if json.Unmarshal([]byte(msg.Payload), &env) != nil {
			r.log.Debug("cluster: undecodable bus message", "channel", msg.Channel)
			continue
		}
		r.dispatch(env)
	}
}

func (r *Redis) dispatch(env envelope) {
	switch env.Kind {
	case kindReply:
		r.mu.Lock()
		ch := r.pending[env.ID]
		r.mu.Unlock()
		select {
		case ch <- reply{body: env.Body, errText: env.Err, noHandler: env.NoHandler}:
		default: // nobody waits (gave up) or a duplicate
		}
	case kindRequest:
		r.serve(env)
	case kindEvent:
		r.subs.emit(env.Name, event{from: env.From, payload: env.Body})
	case kindLeave:
		if env.From != r.o.NodeID {
			r.nodeLeft(env.From)
		}
	}
}

// serve answers a request on a goroutine this node owns; one whose
// deadline passed in transit is dropped (its caller gave up).
func (r *Redis) serve(env envelope) {
	ctx, cancel := r.life, context.CancelFunc(func() {})
	if env.Deadline != 0 {
		dl := time.UnixMilli(env.Deadline)
		if !r.o.Now().Before(dl) {
			return
		}
		ctx, cancel = context.WithDeadline(ctx, dl)
	}
	r.mu.Lock()
	h, closed := r.handlers[env.Name], r.closed
	if closed {
		r.mu.Unlock()
		cancel()
		return
	}
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer cancel()
		rep := runHandler(ctx, h, env.From, env.Body)
		out := envelope{Kind: kindReply, ID: env.ID, From: r.o.NodeID, Body: rep.body, Err: rep.errText, NoHandler: rep.noHandler}
		if err := r.publish(ctx, r.k.rpc(env.From), out); err != nil {
			r.log.Debug("cluster: reply not sent", "to", env.From, "method", env.Name, "err", err)
		}
	}()
}

// Close leaves the cluster: tells the others, deletes this node's keys
// and entries, stops its goroutines and closes the client.
func (r *Redis) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	exts, rooms := sortedKeys(r.exts), sortedKeys(r.rooms)
	r.mu.Unlock()
	if r.healthy.Load() {
		r.leave(exts, rooms)
	}
	return r.shutdown()
}

// leave removes this node's traces from Redis (best effort).
func (r *Redis) leave(exts, rooms []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pipe := r.rdb.Pipeline()
	pipe.Del(ctx, r.k.node(r.o.NodeID))
	pipe.SRem(ctx, r.k.nodes(), r.o.NodeID)
	for _, ext := range exts {
		pipe.ZRem(ctx, r.k.ext(ext), r.o.NodeID)
	}
	for _, room := range rooms {
		releaseIfMine.Eval(ctx, pipe, []string{r.k.room(room)}, r.o.NodeID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		r.log.Debug("cluster: leave", "err", err)
	}
	_ = r.publish(ctx, r.k.events(), envelope{Kind: kindLeave, From: r.o.NodeID})
}

// shutdown stops the goroutines, waits for them and closes the client.
func (r *Redis) shutdown() error {
	close(r.stop)
	r.end()
	err := r.ps.Close()
	r.wg.Wait()
	r.q.close()
	if cerr := r.rdb.Close(); err == nil {
		err = cerr
	}
	return err
}

// abandon is a crash, for tests: no leave, keys expire by their TTL.
func (r *Redis) abandon() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	_ = r.shutdown()
}
