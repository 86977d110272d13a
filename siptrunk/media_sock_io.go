package siptrunk

import (
	"errors"
	"net/netip"

	"github.com/pion/rtp"
)

// errNoRemote: nothing to send to yet (no address, or no SRTP keys).
var errNoRemote = errors.New("siptrunk: media peer not ready")

// readLoop reads the socket until it is closed: DTLS records to the
// handshake, RTCP ignored, RTP (decrypted when protected) to onRTP. It
// reuses its buffers: no allocation per packet.
func (m *sockMedia) readLoop() {
	defer m.wg.Done()
	buf := make([]byte, 1600)
	clear := make([]byte, 1600)
	var pkt rtp.Packet
	var hdr rtp.Header
	for {
		n, from, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		switch {
		case isDTLS(b) && m.dtlsIn != nil:
			if m.sec.Load() == nil { // only before keys: records are not authenticated yet
				m.latch(from)
			}
			m.dtlsIn.offer(b)
		case isRTP(b) && !isRTCP(b):
			if m.kind != sockRTP {
				pair := m.sec.Load()
				if pair == nil {
					continue
				}
				if b, err = pair.rx.DecryptRTP(clear[:0], b, &hdr); err != nil {
					continue
				}
			}
			if pkt.Unmarshal(b) != nil {
				continue
			}
			m.latch(from)
			m.onRTP(&pkt)
		}
	}
}

// WriteAudio sends one frame lasting samples (codec clock ticks).
func (m *sockMedia) WriteAudio(payload []byte, samples uint32) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.whdr.PayloadType, m.whdr.Marker = m.codec.PayloadType, false
	err := m.writePacket(payload)
	m.whdr.Timestamp += samples
	return err
}

// WriteEvent sends the packets of one RFC 4733 event on the audio's SSRC,
// at the current timestamp, durations scaled to the codec's clock.
func (m *sockMedia) WriteEvent(payloads [][]byte) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if !m.codec.HasDTMF {
		return errNotBound
	}
	var ev [4]byte
	for i, p := range payloads {
		m.whdr.PayloadType, m.whdr.Marker = m.codec.DTMFPayloadType, i == 0
		if err := m.writePacket(scaleEvent(ev[:0], p, m.codec.ClockRate)); err != nil {
			return err
		}
	}
	m.whdr.Marker = false
	m.whdr.Timestamp += 800 * m.codec.ClockRate / 8000 // the event's 100 ms
	return nil
}

// writePacket marshals the header and payload, protects them and sends
// them to the peer. The caller holds wmu.
func (m *sockMedia) writePacket(payload []byte) error {
	n, err := m.whdr.MarshalTo(m.plain)
	if err != nil {
		return err
	}
	m.whdr.SequenceNumber++
	out := append(m.plain[:n], payload...)
	if m.kind != sockRTP {
		pair := m.sec.Load()
		if pair == nil {
			return errNoRemote
		}
		if out, err = pair.tx.EncryptRTP(m.sealed[:0], out, &m.ehdr); err != nil {
			return err
		}
	}
	_, err = m.writeRaw(out)
	return err
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
