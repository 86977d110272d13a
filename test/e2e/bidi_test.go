package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// A small WebDriver BiDi client (https://w3c.github.io/webdriver-bidi/): just
// the commands the tests need to drive Firefox ESR, which speaks BiDi
// natively when started with --remote-debugging-port. Commands are JSON
// objects {id, method, params}; the browser answers {id, type: "success",
// result} or {id, type: "error", error, message}, and sends events
// {type: "event", method, params} for what the session subscribed to.

// bidiConn is one BiDi session over one WebSocket.
type bidiConn struct {
	ws *websocket.Conn

	mu      sync.Mutex
	nextID  int64
	waiting map[int64]chan bidiReply
	onEvent func(method string, params json.RawMessage)
	err     error // set once the read loop ended
	done    chan struct{}
}

// bidiReply is the browser's answer to one command.
type bidiReply struct {
	Type    string          `json:"type"`
	ID      *int64          `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// errBiDiClosed: the connection to the browser is gone.
var errBiDiClosed = errors.New("bidi: connection closed")

// dialBiDi connects to a BiDi WebSocket URL; onEvent gets every event (it
// runs on the read loop and must not block).
func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bidi: dial %s: %w", url, err)
	}
	ws.SetReadLimit(64 << 20) // screenshots come as base64 in one message
	c := &bidiConn{ws: ws, waiting: map[int64]chan bidiReply{}, onEvent: onEvent, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

// readLoop hands replies to their callers and events to onEvent until the
// socket closes.
func (c *bidiConn) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.fail(err)
			return
		}
		var r bidiReply
		if json.Unmarshal(data, &r) != nil {
			continue
		}
		if r.Type == "event" {
			if c.onEvent != nil {
				c.onEvent(r.Method, r.Params)
			}
			continue
		}
		if r.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[*r.ID]
		delete(c.waiting, *r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// fail ends every waiting command with err.
func (c *bidiConn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = fmt.Errorf("%w: %v", errBiDiClosed, err)
	}
	for id, ch := range c.waiting {
		close(ch)
		delete(c.waiting, id)
	}
}

// call sends one command and decodes its result into out (nil: ignore it).
func (c *bidiConn) call(ctx context.Context, method string, params, out any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.nextID++
	id := c.nextID
	ch := make(chan bidiReply, 1)
	c.waiting[id] = ch
	c.mu.Unlock()

	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		c.forget(id)
		return fmt.Errorf("bidi: %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("bidi: %s: %w", method, c.closedErr())
		}
		if r.Type == "error" {
			return fmt.Errorf("bidi: %s: %s: %s", method, r.Error, r.Message)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(r.Result, out)
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("bidi: %s: %w", method, ctx.Err())
	}
}

func (c *bidiConn) forget(id int64) {
	c.mu.Lock()
	delete(c.waiting, id)
	c.mu.Unlock()
}

func (c *bidiConn) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return errBiDiClosed
}

// closedErrIfAny is the error that ended the connection, nil while it is open.
func (c *bidiConn) closedErrIfAny() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// close ends the session's socket and waits for the read loop.
func (c *bidiConn) close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
}

// bidiEvalResult is script.evaluate's result.
type bidiEvalResult struct {
	Type   string `json:"type"` // "success" or "exception"
	Result struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"result"`
	ExceptionDetails struct {
		Text string `json:"text"`
	} `json:"exceptionDetails"`
}

// evaluateJSON evaluates expr in the context's page, awaits it when it is a
// promise, and returns its value as JSON (like chromedp's Evaluate). The
// value is serialised by the page itself, so any JSON-able value works.
func (c *bidiConn) evaluateJSON(ctx context.Context, browsingContext, expr string) ([]byte, error) {
	wrapped := "(async () => { const v = await (" + expr + "\n); return v === undefined ? 'null' : JSON.stringify(v); })()"
	var res bidiEvalResult
	err := c.call(ctx, "script.evaluate", map[string]any{
		"expression":      wrapped,
		"target":          map[string]string{"context": browsingContext},
		"awaitPromise":    true,
		"resultOwnership": "none",
	}, &res)
	if err != nil {
		return nil, err
	}
	if res.Type == "exception" {
		return nil, fmt.Errorf("exception: %s", res.ExceptionDetails.Text)
	}
	var s string
	if res.Result.Type != "string" || json.Unmarshal(res.Result.Value, &s) != nil {
		return nil, fmt.Errorf("unexpected result %s %s", res.Result.Type, res.Result.Value)
	}
	return []byte(s), nil
}
