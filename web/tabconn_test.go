package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsPair is a loopback WebSocket: the server end as a tabConn, and the
// client end.
func wsPair(t *testing.T) (*tabConn, *websocket.Conn) {
	t.Helper()
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			conns <- ws
		}
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.CloseNow() })
	c := newTabConn(<-conns)
	t.Cleanup(func() { c.abort(); c.wait() })
	return c, client
}

func readText(t *testing.T, client *websocket.Conn) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := client.Read(ctx)
	return string(b), err
}

// TestSocketWriterRunsOnlyWhileMessagesWait: queued messages arrive in
// order, and once they are written no writer goroutine is left; a stop
// that asks for it writes what is still queued before the close.
func TestSocketWriterRunsOnlyWhileMessagesWait(t *testing.T) {
	c, client := wsPair(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, m := range []string{"a", "b", "c"} {
		c.queue([]byte(m), log)
	}
	for _, want := range []string{"a", "b", "c"} {
		if got, err := readText(t, client); err != nil || got != want {
			t.Fatalf("read %q (%v), want %q", got, err, want)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		c.mu.Lock()
		idle := !c.writing
		c.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a writer still runs with nothing to write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.mu.Lock()
	c.writing = true // hold the queue: the next messages wait for the stop
	c.mu.Unlock()
	c.queue([]byte("d"), log)
	c.queue([]byte("e"), log)
	c.mu.Lock()
	c.writing = false
	c.mu.Unlock()
	c.stop(websocket.StatusGoingAway, "shutting down", true)
	for _, want := range []string{"d", "e"} {
		if got, err := readText(t, client); err != nil || got != want {
			t.Fatalf("after a flushing stop read %q (%v), want %q", got, err, want)
		}
	}
	if _, err := readText(t, client); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v, want close 1001", err)
	}
	c.wait()
}
