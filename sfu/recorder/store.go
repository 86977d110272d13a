package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ErrName refuses a file name that is not a recording's.
var ErrName = errors.New("recorder: not a recording")

// nameTime is how the start time appears in file names (UTC).
const nameTime = "20060102-150405"

// fileName is what a recording's files are called: ROOM-DATE-TIME-ID.ogg
// and .webm. Nothing else in the directory is listed or served.
var fileName = regexp.MustCompile(`^([0-9]{1,15})-([0-9]{8}-[0-9]{6})-([0-9a-f]{6})\.(ogg|webm)$`)

// Info describes one recording on disk.
type Info struct {
	Name     string // file name without extension
	Room     string
	Started  time.Time
	Duration time.Duration // of the mix
	Size     int64         // of both files
	Video    bool          // a .webm file exists
}

// List returns the recordings in dir, newest first. A missing directory
// has none.
func List(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	byName := map[string]*Info{}
	var order []string
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(e.Name(), "."+m[4])
		in := byName[name]
		if in == nil {
			started, _ := time.Parse(nameTime, m[2])
			in = &Info{Name: name, Room: m[1], Started: started}
			byName[name] = in
			order = append(order, name)
		}
		in.Size += fi.Size()
		if m[4] == "webm" {
			in.Video = true
		} else {
			in.Duration = oggDuration(filepath.Join(dir, e.Name()))
		}
	}
	out := make([]Info, 0, len(order))
	for _, n := range order {
		out = append(out, *byName[n])
	}
	slices.SortFunc(out, func(a, b Info) int {
		return strings.Compare(b.Started.Format(nameTime)+b.Name, a.Started.Format(nameTime)+a.Name)
	})
	return out, nil
}

// Path returns the full path of a recording's file by its file name, or
// ErrName for anything that is not one (no path tricks reach other files).
func Path(dir, file string) (string, error) {
	if !fileName.MatchString(file) {
		return "", ErrName
	}
	return filepath.Join(dir, file), nil
}

// Prune removes recordings started before cutoff and reports how many.
func Prune(dir string, cutoff time.Time) (int, error) {
	list, err := List(dir)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, in := range list {
		if !in.Started.Before(cutoff) {
			continue
		}
		for _, ext := range []string{".ogg", ".webm"} {
			if err := os.Remove(filepath.Join(dir, in.Name+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// oggDuration reads an Ogg Opus file's length from its last page's granule
// position less the pre-skip; 0 if it cannot be read.
func oggDuration(path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	head := make([]byte, 47)
	if _, err := io.ReadFull(f, head); err != nil || string(head[28:36]) != "OpusHead" {
		return 0
	}
	preSkip := int64(binary.LittleEndian.Uint16(head[38:]))
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	tail := min(fi.Size(), 64<<10)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, fi.Size()-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	granule, ok := lastGranule(buf)
	if !ok || granule < preSkip {
		return 0
	}
	return time.Duration(granule-preSkip) * time.Second / 48000
}

// lastGranule finds the last whole page in buf (its CRC checks, so audio
// bytes that happen to read "OggS" are not taken for one) and returns its
// granule position.
func lastGranule(buf []byte) (int64, bool) {
	for end := len(buf); ; {
		i := bytes.LastIndex(buf[:end], []byte("OggS"))
		if i < 0 {
			return 0, false
		}
		end = i
		if n, ok := pageLen(buf[i:]); ok {
			p := slices.Clone(buf[i : i+n])
			want := binary.LittleEndian.Uint32(p[22:])
			clear(p[22:26])
			if oggCRC(p) == want {
				return int64(binary.LittleEndian.Uint64(p[6:])), true
			}
		}
	}
}

// pageLen is the length of the Ogg page at the start of p, if all of it is there.
func pageLen(p []byte) (int, bool) {
	if len(p) < 27 || p[4] != 0 {
		return 0, false
	}
	segs := int(p[26])
	if len(p) < 27+segs {
		return 0, false
	}
	n := 27 + segs
	for _, l := range p[27 : 27+segs] {
		n += int(l)
	}
	return n, n <= len(p)
}
