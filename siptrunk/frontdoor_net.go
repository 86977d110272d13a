package siptrunk

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// doorConn is the trunk's UDP socket as sipgo reads it: datagrams the
// front door does not pass never reach sipgo; its answers go out here.
// It also tells when sipgo starts reading, which is after it has put the
// socket in its connection pool (sipgo v1.7.3 TransportUDP.Serve).
type doorConn struct {
	net.PacketConn
	door    *frontDoor
	onReply func([]byte) // counts what we answered ourselves
	once    sync.Once
	reading chan struct{}
}

func newDoorConn(c net.PacketConn, door *frontDoor, onReply func([]byte)) *doorConn {
	return &doorConn{PacketConn: c, door: door, onReply: onReply, reading: make(chan struct{})}
}

// ReadFrom returns the next datagram the front door passes.
func (c *doorConn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.once.Do(func() { close(c.reading) })
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		src := addrOf(addr)
		if c.door.stranger(src) {
			continue
		}
		v := c.door.datagram(src, p[:n])
		if v.reply != nil {
			if _, err := c.PacketConn.WriteTo(v.reply, addr); err == nil {
				c.onReply(v.reply)
			}
		}
		if v.pass {
			if v.rewrite != nil && len(v.rewrite) <= len(p) {
				n = copy(p, v.rewrite)
			}
			return n, addr, nil
		}
	}
}

// addrOf is the IP of a UDP or TCP address (unspecified when unknown,
// which no allowed source matches).
func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// doorListener accepts only connections from allowed sources: others are
// closed at once, before a byte is read (and before a TLS handshake when
// it wraps the TCP listener under TLS). With framing it hands sipgo each
// connection as a doorStream.
type doorListener struct {
	net.Listener
	door    *frontDoor
	filter  bool // check the source at accept
	framing bool // judge each message (plain TCP, or above TLS)
	onReply func([]byte)
}

// Accept returns the next connection from an allowed source.
func (l *doorListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := addrOf(c.RemoteAddr())
		if l.filter && l.door.stranger(src) {
			_ = c.Close()
			continue
		}
		if l.framing {
			return &doorStream{Conn: c, door: l.door, src: src, onReply: l.onReply}, nil
		}
		return c, nil
	}
}

// partialTimeout is how long a stream may leave a message unfinished
// (RFC 4475 clerr: wait for the rest, close when none comes).
const partialTimeout = 30 * time.Second

// doorStream is a TCP or TLS connection as sipgo reads it: one whole
// message the front door passes per Read; answers to refused messages
// are written here, never interleaved with sipgo's writes.
type doorStream struct {
	net.Conn
	door    *frontDoor
	src     netip.Addr
	onReply func([]byte)
	wmu     sync.Mutex
	in      []byte // read, not yet judged
	out     []byte // passed, not yet returned to sipgo
	buf     [32 * 1024]byte
}

// Read returns the next passed message (or part of it).
func (s *doorStream) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// Write sends sipgo's bytes.
func (s *doorStream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.Conn.Write(p)
}

// errFramingLost ends a stream whose message boundaries are gone (or
// whose message never completed). It is io.EOF to sipgo: the front door
// has logged why; sipgo only closes the connection.
var errFramingLost = io.EOF

// next judges buffered messages until one passes, reading more as needed.
func (s *doorStream) next() error {
	for {
		if len(s.in) > 0 {
			n, v := s.door.frame(s.src, s.in)
			if n > 0 {
				msg := s.in[:n:n]
				s.in = s.in[n:]
				if v.reply != nil {
					s.reply(v.reply)
				}
				if v.close {
					return errFramingLost
				}
				if v.pass {
					s.out = msg
					if v.rewrite != nil {
						s.out = v.rewrite
					}
					return nil
				}
				continue
			}
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// fill reads more; with a message pending it waits partialTimeout at most.
func (s *doorStream) fill() error {
	deadline := time.Time{}
	if len(s.in) > 0 {
		deadline = time.Now().Add(partialTimeout)
	}
	_ = s.Conn.SetReadDeadline(deadline)
	n, err := s.Conn.Read(s.buf[:])
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errFramingLost
		}
		return err
	}
	s.in = append(s.in, s.buf[:n]...)
	return nil
}

// reply writes an answer of the front door; a peer that does not read
// gets 5 s, then the write fails (the read loop must not hang on it).
func (s *doorStream) reply(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	defer func() { _ = s.Conn.SetWriteDeadline(time.Time{}) }()
	if _, err := s.Conn.Write(b); err == nil {
		s.onReply(b)
	}
}
