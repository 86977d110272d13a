package recorder

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrOgg reports a malformed Ogg Opus file.
var ErrOgg = errors.New("recorder: malformed Ogg Opus")

// OggOpus is a parsed Ogg Opus file: what a player would decode.
type OggOpus struct {
	Channels int
	PreSkip  int
	Comments []string
	Packets  [][]byte // audio packets in order
	Granule  int64    // of the last page
	EOS      bool     // the last page ends the stream
}

// Duration is the audio's length by the last granule position.
func (o *OggOpus) Duration() float64 { return float64(o.Granule-int64(o.PreSkip)) / 48000 }

// ReadOggOpus parses a whole Ogg Opus file, checking every page's CRC and
// sequence number and the two header packets (RFC 7845). Tests and tools
// use it to check a recording.
func ReadOggOpus(data []byte) (*OggOpus, error) {
	var packets [][]byte
	var partial []byte
	out := &OggOpus{}
	for seq := uint32(0); len(data) > 0; seq++ {
		n, ok := pageLen(data)
		if !ok || string(data[:4]) != "OggS" {
			return nil, fmt.Errorf("%w: page %d is cut or not a page", ErrOgg, seq)
		}
		page := append([]byte(nil), data[:n]...)
		data = data[n:]
		want := binary.LittleEndian.Uint32(page[22:])
		clear(page[22:26])
		if oggCRC(page) != want {
			return nil, fmt.Errorf("%w: page %d has a bad CRC", ErrOgg, seq)
		}
		if got := binary.LittleEndian.Uint32(page[18:]); got != seq {
			return nil, fmt.Errorf("%w: page %d numbered %d", ErrOgg, seq, got)
		}
		if (seq == 0) != (page[5]&0x02 != 0) {
			return nil, fmt.Errorf("%w: beginning-of-stream flag on page %d", ErrOgg, seq)
		}
		out.Granule, out.EOS = int64(binary.LittleEndian.Uint64(page[6:])), page[5]&0x04 != 0
		segs := page[27 : 27+int(page[26])]
		body := page[27+len(segs):]
		for _, l := range segs {
			partial = append(partial, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, partial)
				partial = nil
			}
		}
	}
	if len(packets) < 2 {
		return nil, fmt.Errorf("%w: no headers", ErrOgg)
	}
	if err := out.readHeaders(packets[0], packets[1]); err != nil {
		return nil, err
	}
	out.Packets = packets[2:]
	return out, nil
}

func (o *OggOpus) readHeaders(head, tags []byte) error {
	if len(head) < 19 || string(head[:8]) != "OpusHead" || head[8] != 1 {
		return fmt.Errorf("%w: no OpusHead", ErrOgg)
	}
	o.Channels, o.PreSkip = int(head[9]), int(binary.LittleEndian.Uint16(head[10:]))
	if len(tags) < 16 || string(tags[:8]) != "OpusTags" {
		return fmt.Errorf("%w: no OpusTags", ErrOgg)
	}
	rest := tags[8:]
	next := func() ([]byte, bool) {
		if len(rest) < 4 {
			return nil, false
		}
		n := int(binary.LittleEndian.Uint32(rest))
		if n > len(rest)-4 {
			return nil, false
		}
		s := rest[4 : 4+n]
		rest = rest[4+n:]
		return s, true
	}
	if _, ok := next(); !ok { // vendor
		return fmt.Errorf("%w: bad OpusTags", ErrOgg)
	}
	if len(rest) < 4 {
		return fmt.Errorf("%w: bad OpusTags", ErrOgg)
	}
	count := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	for range count {
		c, ok := next()
		if !ok {
			return fmt.Errorf("%w: bad comment", ErrOgg)
		}
		o.Comments = append(o.Comments, string(c))
	}
	return nil
}
