package recorder

import (
	"encoding/binary"
	"io"
	"math"
)

// The few Matroska elements (EBML IDs) a WebM file with one VP8 track needs.
const (
	idEBML            = 0x1A45DFA3
	idEBMLVersion     = 0x4286
	idEBMLReadVersion = 0x42F7
	idEBMLMaxIDLength = 0x42F2
	idEBMLMaxSizeLen  = 0x42F3
	idDocType         = 0x4282
	idDocTypeVersion  = 0x4287
	idDocTypeRead     = 0x4285
	idSegment         = 0x18538067
	idInfo            = 0x1549A966
	idTimecodeScale   = 0x2AD7B1
	idMuxingApp       = 0x4D80
	idWritingApp      = 0x5741
	idDuration        = 0x4489
	idTracks          = 0x1654AE6B
	idTrackEntry      = 0xAE
	idTrackNumber     = 0xD7
	idTrackUID        = 0x73C5
	idTrackType       = 0x83
	idCodecID         = 0x86
	idVideo           = 0xE0
	idPixelWidth      = 0xB0
	idPixelHeight     = 0xBA
	idCluster         = 0x1F43B675
	idTimecode        = 0xE7
	idSimpleBlock     = 0xA3
)

// unknownSize8 is an 8-byte EBML size meaning "unknown": the segment's size
// until it is patched at the end.
const unknownSize8 = 0x01FFFFFFFFFFFFFF

// clusterSpan is how long a cluster runs before the next key frame starts a
// new one; maxClusterSpan is the most a block's 16-bit offset allows.
const (
	clusterSpan    = 2000
	maxClusterSpan = 32000
)

// webmWriter writes one VP8 track into a WebM file. Blocks are gathered per
// cluster in memory and written a cluster at a time; the segment size and
// duration are patched when the file is closed.
type webmWriter struct {
	f          WriteAtCloser
	off        int64 // bytes written
	segmentAt  int64 // where the segment's payload starts
	durationAt int64 // where the duration's float starts
	cluster    []byte
	clusterTC  int64 // ms
	inCluster  bool
	lastMS     int64
}

// WriteAtCloser is a file the recorder writes: appended to, patched at
// known offsets when it is finished, closed.
type WriteAtCloser interface {
	io.Writer
	io.WriterAt
	io.Closer
}

func newWebMWriter(f WriteAtCloser) *webmWriter {
	return &webmWriter{f: f, cluster: make([]byte, 0, 1<<20)}
}

// header writes the EBML header, opens the segment and writes its info and
// the track of a width×height VP8 video.
func (w *webmWriter) header(width, height int) error {
	var b []byte
	b = appendMaster(b, idEBML, func(b []byte) []byte {
		b = appendUint(b, idEBMLVersion, 1)
		b = appendUint(b, idEBMLReadVersion, 1)
		b = appendUint(b, idEBMLMaxIDLength, 4)
		b = appendUint(b, idEBMLMaxSizeLen, 8)
		b = appendString(b, idDocType, "webm")
		b = appendUint(b, idDocTypeVersion, 4)
		return appendUint(b, idDocTypeRead, 2)
	})
	b = appendID(b, idSegment)
	b = binary.BigEndian.AppendUint64(b, unknownSize8)
	w.segmentAt = int64(len(b))
	var info []byte
	info = appendUint(info, idTimecodeScale, 1_000_000) // block times in ms
	info = appendString(info, idMuxingApp, "xphone")
	info = appendString(info, idWritingApp, "xphone")
	info = appendID(info, idDuration)
	info = appendSize(info, 8)
	durationInInfo := len(info)
	info = binary.BigEndian.AppendUint64(info, math.Float64bits(0))
	b = appendID(b, idInfo)
	b = appendSize(b, uint64(len(info)))
	w.durationAt = int64(len(b) + durationInInfo)
	b = append(b, info...)
	b = appendMaster(b, idTracks, func(b []byte) []byte {
		return appendMaster(b, idTrackEntry, func(b []byte) []byte {
			b = appendUint(b, idTrackNumber, 1)
			b = appendUint(b, idTrackUID, 1)
			b = appendUint(b, idTrackType, 1) // video
			b = appendString(b, idCodecID, "V_VP8")
			return appendMaster(b, idVideo, func(b []byte) []byte {
				b = appendUint(b, idPixelWidth, uint64(width))
				return appendUint(b, idPixelHeight, uint64(height))
			})
		})
	})
	return w.write(b)
}

// frame adds one VP8 frame at ms milliseconds from the start.
func (w *webmWriter) frame(data []byte, key bool, ms int64) error {
	ms = max(ms, w.lastMS)
	if w.inCluster && (ms-w.clusterTC > maxClusterSpan || (key && ms-w.clusterTC >= clusterSpan)) {
		if err := w.flushCluster(); err != nil {
			return err
		}
	}
	if !w.inCluster {
		w.inCluster, w.clusterTC = true, ms
		w.cluster = w.cluster[:0]
	}
	w.cluster = appendID(w.cluster, idSimpleBlock)
	w.cluster = appendSize(w.cluster, uint64(4+len(data)))
	flags := byte(0)
	if key {
		flags = 0x80
	}
	w.cluster = append(w.cluster, 0x81, byte(uint16(ms-w.clusterTC)>>8), byte(ms-w.clusterTC), flags)
	w.cluster = append(w.cluster, data...)
	w.lastMS = ms
	return nil
}

// flushCluster writes the gathered blocks as one cluster.
func (w *webmWriter) flushCluster() error {
	if !w.inCluster {
		return nil
	}
	w.inCluster = false
	var head [32]byte
	tc := appendUint(head[:0:0], idTimecode, uint64(w.clusterTC))
	h := appendID(head[:0], idCluster)
	h = appendSize(h, uint64(len(tc)+len(w.cluster)))
	h = append(h, tc...)
	if err := w.write(h); err != nil {
		return err
	}
	return w.write(w.cluster)
}

// close writes the last cluster and patches the segment size and duration.
func (w *webmWriter) close(frameMS int64) error {
	if err := w.flushCluster(); err != nil {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(float64(w.lastMS+frameMS)))
	if _, err := w.f.WriteAt(b[:], w.durationAt); err != nil {
		return err
	}
	binary.BigEndian.PutUint64(b[:], 0x0100000000000000|uint64(w.off-w.segmentAt))
	_, err := w.f.WriteAt(b[:], w.segmentAt-8)
	return err
}

func (w *webmWriter) write(b []byte) error {
	n, err := w.f.Write(b)
	w.off += int64(n)
	return err
}

// appendID writes an element ID: its bytes without leading zeros (the
// length marker is part of the ID).
func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// appendSize writes n as the shortest EBML variable-size integer.
func appendSize(b []byte, n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 { // all ones is reserved for "unknown"
			v := n | 1<<(7*l)
			for i := l - 1; i >= 0; i-- {
				b = append(b, byte(v>>(8*i)))
			}
			return b
		}
	}
	return binary.BigEndian.AppendUint64(b, unknownSize8)
}

func appendUint(b []byte, id uint32, v uint64) []byte {
	n := 1
	for v>>(8*n) != 0 && n < 8 {
		n++
	}
	b = appendID(b, id)
	b = appendSize(b, uint64(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendString(b []byte, id uint32, s string) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(s)))
	return append(b, s...)
}

// appendMaster writes a master element whose children body appends.
func appendMaster(b []byte, id uint32, body func([]byte) []byte) []byte {
	inner := body(nil)
	b = appendID(b, id)
	b = appendSize(b, uint64(len(inner)))
	return append(b, inner...)
}
