package recorder

import (
	"errors"
	"syscall"
)

// memFile is an in-memory WriteAtCloser.
type memFile struct {
	data   []byte
	closed bool
}

func (f *memFile) Write(p []byte) (int, error) {
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if int(off)+len(p) > len(f.data) {
		return 0, errors.New("write past the end")
	}
	copy(f.data[off:], p)
	return len(p), nil
}

func (f *memFile) Close() error { f.closed = true; return nil }

// fullDisk is a file on a disk that fills up after room bytes.
type fullDisk struct {
	memFile
	room int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(f.data)+len(p) > f.room {
		n := f.room - len(f.data)
		f.data = append(f.data, p[:n]...)
		return n, syscall.ENOSPC
	}
	return f.memFile.Write(p)
}
