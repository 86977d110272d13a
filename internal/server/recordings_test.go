package server

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xphone/configs"
)

// TestRetentionSweepKeepsRecentRecordings: the server's sweep (run at start,
// hourly and before the admin page lists) deletes both files of a
// recording older than policy.recording.retention and nothing else, in the
// directory the policy names inside the data directory; retention 0 keeps
// everything.
func TestRetentionSweepKeepsRecentRecordings(t *testing.T) {
	s := &Server{dataDir: t.TempDir(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.setRecordingPolicy(configs.RecordingPolicy{Dir: "recordings", Retention: configs.Duration(0)})
	dir := filepath.Join(s.dataDir, "recordings")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	name := func(age time.Duration, id string) string {
		return "800-" + time.Now().UTC().Add(-age).Format("20060102-150405") + "-" + id
	}
	old, fresh := name(49*time.Hour, "aaaaaa"), name(time.Hour, "bbbbbb")
	for _, f := range []string{old + ".ogg", old + ".webm", fresh + ".ogg", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	names := func() string {
		list, err := s.listRecordings()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, in := range list {
			out = append(out, in.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(); got != fresh+","+old {
		t.Fatalf("retention 0 listed %q, want both recordings kept", got)
	}
	s.setRecordingPolicy(configs.RecordingPolicy{Dir: "recordings", Retention: configs.Duration(48 * time.Hour)})
	if got := names(); got != fresh {
		t.Fatalf("after the sweep the list is %q, want only %s", got, fresh)
	}
	for _, f := range []string{old + ".ogg", old + ".webm"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s survived the sweep (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("the sweep touched a file that is not a recording: %v", err)
	}
}
