package sfu

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestPionLogsGoToSlogOneLoggerPerScope(t *testing.T) {
	var out bytes.Buffer
	logs := newPionLogs(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ice := logs.NewLogger("ice")
	if logs.NewLogger("ice") != ice {
		t.Fatal("a second leg got its own logger for the same scope")
	}
	ice.Errorf("failed to ping %s", "127.0.0.1:9")
	ice.Warnf("noise %d", 1)
	ice.Info("more noise")
	got := out.String()
	if !strings.Contains(got, `level=WARN msg="failed to ping 127.0.0.1:9" pion=ice`) {
		t.Fatalf("pion error not logged as a warning with its scope: %q", got)
	}
	if strings.Contains(got, "noise") {
		t.Fatalf("pion's warnings and info reached the info-level log: %q", got)
	}
}
