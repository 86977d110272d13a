package sipmedia

import (
	"errors"
	"net/netip"

	"github.com/pion/rtp"
)

// errNoRemote: nothing to send to yet (no address, or no SRTP keys).
var errNoRemote = errors.New("sipmedia: media peer not ready")

// readLoop reads the socket until it is closed: DTLS records to the
// handshake, muxed RTCP checked and counted, RTP (checked, decrypted when protected) to
// onRTP; anything else is dropped and counted. It reuses its buffers: no
// allocation per packet.
func (m *sockMedia) readLoop() {
	defer m.wg.Done()
	buf := make([]byte, 1600)
	clear := make([]byte, 1600)
	var pkt rtp.Packet
	var hdr rtp.Header
	learned := false // plain RTP: the peer's source is fixed after its first packet
	for {
		n, from, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		switch {
		case isDTLS(b) && m.kind == sockDTLS:
			m.onDTLS(b, from)
		case isRTP(b) && isRTCP(b):
			m.acceptRTCP(b, clear, from)
		case isRTP(b):
			if b = m.accept(b, clear, &hdr, from, learned); b == nil {
				continue
			}
			if pkt.Unmarshal(b) != nil {
				m.stats.rejected.Add(1)
				continue
			}
			if m.video != nil && !m.admitVideo(&pkt) {
				continue
			}
			m.latch(from)
			learned = true
			m.stats.received.Add(1)
			m.onRTP(&pkt)
		default: // neither RTP, RTCP nor a DTLS record we expect
			m.stats.rejected.Add(1)
		}
	}
}

// accept returns the plain RTP of packet b from from, or nil to drop it.
// SRTP must authenticate (replay protection stops a replayed packet from
// moving the stream), so an authenticated source may change, as when a
// NAT rebinds. Plain RTP cannot prove its origin: after the first packet
// only that source is accepted (Asterisk's strictrtp; see "RTP Bleed").
func (m *sockMedia) accept(b, clear []byte, hdr *rtp.Header, from netip.AddrPort, learned bool) []byte {
	if m.kind == sockRTP {
		if learned && !sameAddr(m.remote.Load(), from) {
			m.stats.rejected.Add(1)
			return nil
		}
		return b
	}
	pair := m.sec.Load()
	if pair == nil {
		return nil
	}
	out, err := pair.rx.DecryptRTP(clear[:0], b, hdr)
	if err != nil {
		m.stats.rejected.Add(1)
		return nil
	}
	return out
}

// WriteAudio sends one frame lasting samples (codec clock ticks). Only
// the Downstream writer calls it, one packet at a time, so audioOut is
// its own; no lock is held while sending.
func (m *sockMedia) WriteAudio(payload []byte, samples uint32) error {
	out, err := m.seal(m.audioOut, m.codec.PayloadType, false, payload, samples)
	if err == nil {
		_, err = m.writeRaw(out)
	}
	if err != nil {
		m.stats.sendErrors.Add(1)
		return err
	}
	m.stats.sent.Add(1)
	return nil
}

// SkipAudio moves the timestamp over a silent gap (see Session).
func (m *sockMedia) SkipAudio(samples uint32) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.whdr.Timestamp += samples
	m.resume = true
}

// WriteEvent sends the packets of one RFC 4733 event on the audio's SSRC,
// at the current timestamp, durations scaled to telephone-event's clock.
func (m *sockMedia) WriteEvent(payloads [][]byte) error {
	if !m.codec.HasDTMF {
		return errNotBound
	}
	m.evMu.Lock() // key presses are rare; evMu owns eventOut
	defer m.evMu.Unlock()
	var ev [4]byte
	for i, p := range payloads {
		var adv uint32
		if i == len(payloads)-1 {
			adv = 800 * m.codec.ClockRate / 8000 // the event's 100 ms
		}
		out, err := m.seal(m.eventOut, m.codec.DTMFPayloadType, i == 0, scaleEvent(ev[:0], p, m.codec.DTMFClockRate), adv)
		if err != nil {
			return err
		}
		if _, err := m.writeRaw(out); err != nil {
			return err
		}
	}
	return nil
}

// seal numbers one packet (the timestamp then advances by adv) and
// protects it into dst under wmu, which guards the sequence, timestamp
// and the SRTP context; the caller sends the result without the lock.
func (m *sockMedia) seal(dst []byte, pt uint8, marker bool, payload []byte, adv uint32) ([]byte, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	var pair *srtpPair
	if m.kind != sockRTP {
		if pair = m.sec.Load(); pair == nil {
			return nil, errNoRemote
		}
	}
	if pt == m.codec.PayloadType && m.resume {
		marker, m.resume = true, false
	}
	m.whdr.PayloadType, m.whdr.Marker = pt, marker
	plain := dst
	if pair != nil {
		plain = m.plain
	}
	n, err := m.whdr.MarshalTo(plain[:cap(plain)])
	if err != nil {
		return nil, err
	}
	m.whdr.SequenceNumber++
	m.whdr.Timestamp += adv
	m.txPackets++
	m.txOctets += uint64(len(payload))
	out := append(plain[:n], payload...)
	if pair == nil {
		return out, nil
	}
	return pair.tx.EncryptRTP(dst[:0], out, &m.ehdr)
}

// writeRaw sends one datagram to the peer's current address.
func (m *sockMedia) writeRaw(b []byte) (int, error) {
	a := m.remote.Load()
	if a == nil {
		return 0, errNoRemote
	}
	return m.conn.WriteToUDPAddrPort(b, *a)
}

// latch makes from the peer's address (symmetric RTP); it allocates only
// when the address changes.
func (m *sockMedia) latch(from netip.AddrPort) {
	if cur := m.remote.Load(); !sameAddr(cur, from) {
		m.remote.Store(&from)
		m.log.Debug("media peer address latched", "addr", from)
	}
}
