package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A disk that fills up mid-recording stops the recording: it stops taking
// packets, says so (Failed), and Stop reports the write error. Nothing of
// that reaches whoever feeds it: WriteAudio keeps returning at once.
func TestFullDiskStopsTheRecording(t *testing.T) {
	var disk *fullDisk
	create := func(string) (WriteAtCloser, error) {
		disk = &fullDisk{room: 4000}
		return disk, nil
	}
	src := newToneSource(t)
	rec, err := Start(Config{Dir: t.TempDir(), Room: "800", Started: time.Now(), Silence: src.frame(0), Create: create})
	if err != nil {
		t.Fatal(err)
	}
	frame := src.frame(440)
	for n := range 500 {
		rec.WriteAudio(audioPacket(uint16(n), uint32(n*frameSamples), frame))
		if n%50 == 0 {
			settle(t, rec)
		}
	}
	settle(t, rec)
	if !rec.Failed() {
		t.Fatal("the recording goes on writing to a full disk")
	}
	_, err = rec.Stop()
	if !errors.Is(err, ErrWrite) || !strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		t.Fatalf("Stop: %v, want a write error", err)
	}
	if !disk.closed {
		t.Fatal("the file was left open")
	}
}

// A recording that cannot even begin says why: the real /dev/full refuses
// the headers, and a directory path that is a file cannot be created.
func TestRecordingThatCannotStart(t *testing.T) {
	devFull := func(string) (WriteAtCloser, error) { return os.OpenFile("/dev/full", os.O_WRONLY, 0) }
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("/dev/full is missing: %v", err)
	}
	if _, err := Start(Config{Dir: t.TempDir(), Room: "800", Started: time.Now(), Create: devFull}); !errors.Is(err, ErrStart) {
		t.Fatalf("start on /dev/full: %v", err)
	}
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Config{Dir: filepath.Join(file, "recordings"), Room: "800", Started: time.Now()}); !errors.Is(err, ErrStart) {
		t.Fatalf("start under a file: %v", err)
	}
}
