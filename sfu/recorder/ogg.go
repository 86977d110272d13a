package recorder

import (
	"encoding/binary"
	"io"
)

// Ogg framing (RFC 3533) of an Opus stream (RFC 7845): one logical stream,
// an identification header page, a comment header page, then audio pages
// whose granule position counts 48 kHz samples (pre-skip included).

// oggPreSkip is the decoder delay the identification header declares:
// libopus's 48 kHz encoder look-ahead, what players expect to trim.
const oggPreSkip = 312

// oggPagePackets is how many packets a page holds before it is written:
// about a second of 20 ms frames, so a crash loses at most that much.
const oggPagePackets = 50

// maxSegments is the most lacing values one page carries.
const maxSegments = 255

// oggWriter writes Ogg pages of one logical Opus stream.
type oggWriter struct {
	w       io.Writer
	serial  uint32
	seq     uint32
	granule int64 // samples through the last packet completed, pre-skip included
	segs    []byte
	body    []byte
	page    []byte
	packets int
	written int64
}

func newOggWriter(w io.Writer, serial uint32) *oggWriter {
	return &oggWriter{w: w, serial: serial, granule: oggPreSkip,
		segs: make([]byte, 0, maxSegments), body: make([]byte, 0, 64<<10), page: make([]byte, 0, 27+maxSegments+64<<10)}
}

// headers writes the OpusHead and OpusTags pages (RFC 7845 §5).
func (o *oggWriter) headers(channels int, comments []string) error {
	head := make([]byte, 19)
	copy(head, "OpusHead")
	head[8] = 1 // version
	head[9] = byte(channels)
	binary.LittleEndian.PutUint16(head[10:], oggPreSkip)
	binary.LittleEndian.PutUint32(head[12:], 48000) // input sample rate, informational
	// output gain 0, channel mapping family 0 (mono or stereo)
	if err := o.writePage(head, 0x02, 0); err != nil {
		return err
	}
	tags := []byte("OpusTags")
	vendor := "xphone"
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(vendor)))
	tags = append(tags, vendor...)
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(comments)))
	for _, c := range comments {
		tags = binary.LittleEndian.AppendUint32(tags, uint32(len(c)))
		tags = append(tags, c...)
	}
	return o.writePage(tags, 0, 0)
}

// writePage writes data as one complete packet on a page of its own.
func (o *oggWriter) writePage(data []byte, flags byte, granule int64) error {
	o.segs = lace(o.segs[:0], len(data))
	o.body = append(o.body[:0], data...)
	return o.flushPage(flags, granule)
}

// packet adds one Opus packet carrying samples 48 kHz samples; a page goes
// out when it is full.
func (o *oggWriter) packet(data []byte, samples int) error {
	need := len(data)/255 + 1
	if len(o.segs)+need > maxSegments {
		if err := o.flush(0); err != nil {
			return err
		}
	}
	o.segs = lace(o.segs, len(data))
	o.body = append(o.body, data...)
	o.granule += int64(samples)
	o.packets++
	if o.packets >= oggPagePackets {
		return o.flush(0)
	}
	return nil
}

// flush writes the packets held as a page; with no packets and no flags it
// does nothing.
func (o *oggWriter) flush(flags byte) error {
	if o.packets == 0 && flags == 0 {
		return nil
	}
	o.packets = 0
	return o.flushPage(flags, o.granule)
}

// close writes what is held on a last page that carries the end-of-stream flag.
func (o *oggWriter) close() error { return o.flush(0x04) }

func (o *oggWriter) flushPage(flags byte, granule int64) error {
	p := o.page[:0]
	p = append(p, "OggS"...)
	p = append(p, 0, flags)
	p = binary.LittleEndian.AppendUint64(p, uint64(granule))
	p = binary.LittleEndian.AppendUint32(p, o.serial)
	p = binary.LittleEndian.AppendUint32(p, o.seq)
	p = append(p, 0, 0, 0, 0) // CRC, filled below
	p = append(p, byte(len(o.segs)))
	p = append(p, o.segs...)
	p = append(p, o.body...)
	binary.LittleEndian.PutUint32(p[22:], oggCRC(p))
	o.page = p
	o.seq++
	o.segs, o.body = o.segs[:0], o.body[:0]
	n, err := o.w.Write(p)
	o.written += int64(n)
	return err
}

// lace appends the lacing values of a packet of n bytes: 255s and a last
// value below 255 (0 when n is a multiple of 255).
func lace(segs []byte, n int) []byte {
	for ; n >= 255; n -= 255 {
		segs = append(segs, 255)
	}
	return append(segs, byte(n))
}

// oggCRCTable is the CRC-32 of Ogg: polynomial 0x04c11db7, not reflected,
// initial value 0, no final xor.
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggCRC(p []byte) uint32 {
	var crc uint32
	for _, b := range p {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^b]
	}
	return crc
}
