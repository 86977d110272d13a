package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"xphone/cluster"
)

// failingDirectory answers every extension lookup with err.
type failingDirectory struct {
	cluster.Cluster
	err error
}

func (f failingDirectory) ExtensionNodes(context.Context, string) ([]string, error) {
	return nil, f.err
}

// warnCounter counts the records at Warn or above.
type warnCounter struct {
	slog.Handler
	warns *atomic.Int32
}

func (w warnCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.warns.Add(1)
	}
	return w.Handler.Handle(ctx, r)
}

// TestRedisOutageDoesNotWarnPerCall: while Redis is down (reported once by
// /readyz, metrics and the admin page) a call's failed directory lookup is
// not a warning each time; any other lookup failure still is.
func TestRedisOutageDoesNotWarnPerCall(t *testing.T) {
	var warns atomic.Int32
	log := slog.New(warnCounter{slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), &warns})
	media := loopbackMedia(t, log)
	_, node := anchorNode(t)
	for _, tc := range []struct {
		err   error
		warns int32
	}{
		{fmt.Errorf("%w: dial tcp: connection refused", cluster.ErrUnavailable), 0},
		{errors.New("WRONGTYPE Operation against a key holding the wrong kind of value"), 3},
	} {
		warns.Store(0)
		r := NewRegistry(oneExtension{}, media, log)
		r.UseCluster(failingDirectory{node, tc.err}, nil, nil)
		for range 3 {
			if nodes := r.homeNodes(context.Background(), "1002"); len(nodes) != 0 {
				t.Fatalf("home nodes %v from a failing directory", nodes)
			}
		}
		r.Close()
		if got := warns.Load(); got != tc.warns {
			t.Errorf("lookup failing with %q: %d warnings for 3 calls, want %d", tc.err, got, tc.warns)
		}
	}
}
