package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestListPathAndPrune(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := newToneSource(t)
	old := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	fresh := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, started := range []time.Time{old, fresh} {
		rec, err := Start(Config{Dir: dir, Room: "800", Started: started, Silence: src.frame(0)})
		if err != nil {
			t.Fatal(err)
		}
		for n := range 10 {
			rec.WriteAudio(audioPacket(uint16(n), uint32(n*frameSamples), src.frame(300)))
		}
		settle(t, rec)
		if _, err := rec.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	write("notes.txt", []byte("x"))
	write("800-20260102-030405-abcdeg.ogg", []byte("x")) // not hex
	if err := os.Mkdir(filepath.Join(dir, "800-20260102-030405-abcdef.ogg"), 0o700); err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Started.Equal(fresh) || !list[1].Started.Equal(old) || list[0].Duration != 200*time.Millisecond {
		t.Fatalf("list %+v, want the two recordings newest first, 200 ms each", list)
	}
	for _, bad := range []string{"../passwords.yaml", "800-20260102-030405-abcdef.ogg/../x", "notes.txt", "", "800-20260102-030405-abcdef.mp3"} {
		if _, err := Path(dir, bad); !errors.Is(err, ErrName) {
			t.Errorf("Path(%q) = %v, want ErrName", bad, err)
		}
	}
	if p, err := Path(dir, list[0].Name+".ogg"); err != nil || filepath.Dir(p) != dir {
		t.Fatalf("Path of a recording: %q, %v", p, err)
	}
	removed, err := Prune(dir, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || removed != 1 {
		t.Fatalf("prune removed %d, %v", removed, err)
	}
	if list, _ := List(dir); len(list) != 1 || !list[0].Started.Equal(fresh) {
		t.Fatalf("after prune: %+v", list)
	}
	if list, err := List(filepath.Join(dir, "missing")); err != nil || list != nil {
		t.Fatalf("a missing directory: %v, %v", list, err)
	}
}
