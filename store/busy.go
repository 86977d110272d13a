package store

import (
	"context"
	"errors"
	"time"
)

// sqliteBusy is SQLITE_BUSY's primary result code.
const sqliteBusy = 5

// isBusy tells whether err is SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == sqliteBusy
}

// retryBusy runs step until it does not fail with SQLITE_BUSY, for at most
// busyTimeout. SQLite returns BUSY without calling its busy handler where
// waiting could deadlock — two connections switching a new file to WAL at
// once, or a read snapshot upgraded to a write — so opening and migrating
// the same file from several processes needs its own retry. The pause grows
// from 5 ms to 100 ms.
func retryBusy(ctx context.Context, step func() error) error {
	deadline := time.Now().Add(busyTimeout)
	pause := 5 * time.Millisecond
	for {
		err := step()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}
