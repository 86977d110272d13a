package sfu

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Rooms across nodes (issue #18, docs/cluster.md "Rooms across nodes"):
// every node with members of a room runs its own conference of it and
// exchanges the members' streams with the room's host node over a
// Cascade — one UDP socket per node carrying SRTP (AES-128-GCM) whose
// keys the nodes exchange over the cluster bus. Each remote member is a
// cascadeLeg in the local conference: its audio feeds the local mixer
// and its video is forwarded to local viewers like a local member's.

// ErrCascade wraps failures of the node-to-node media socket.
var ErrCascade = errors.New("sfu: room cascade")

// cascadeProfile protects media between nodes.
const cascadeProfile = srtp.ProtectionProfileAeadAes128Gcm

// cascadeLevelExt is the RFC 6464 extension id on the cascade's packets.
const cascadeLevelExt = 1

// CascadeKey is one direction's SRTP master key and salt.
type CascadeKey struct {
	Key  []byte `json:"key"`
	Salt []byte `json:"salt"`
}

// NewCascadeKey returns a random key for what this node sends on a link.
func NewCascadeKey() (CascadeKey, error) {
	k := CascadeKey{Key: make([]byte, 16), Salt: make([]byte, 12)}
	if _, err := rand.Read(k.Key); err != nil {
		return k, fmt.Errorf("%w: key: %w", ErrCascade, err)
	}
	_, err := rand.Read(k.Salt)
	return k, err
}

// Cascade is this node's media socket for rooms across nodes. One read
// goroutine decrypts each packet in place and forwards it to the remote
// member's track, allocating nothing.
type Cascade struct {
	conn *net.UDPConn
	addr netip.AddrPort
	log  *slog.Logger

	mu   sync.Mutex                                       // serialises writers of recv and ups
	recv atomic.Pointer[map[netip.AddrPort]*srtp.Context] // by sending node's address
	ups  atomic.Pointer[map[uint32]*UpTrack]              // remote streams by SSRC
	// streams: what this node sends, by SSRC (cascade_stream.go); mu.
	streams map[uint32]*cascadeStream
	done    chan struct{}

	// Counters for figures and metrics.
	SentBytes, RecvBytes, Dropped atomic.Uint64
}

// NewCascade listens on addr (host:port, port 0 picks one).
func NewCascade(addr string, log *slog.Logger) (*Cascade, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCascade, addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("%w: listen %s: %w", ErrCascade, addr, err)
	}
	c := &Cascade{conn: conn, log: log, done: make(chan struct{}), streams: map[uint32]*cascadeStream{},
		addr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	c.recv.Store(&map[netip.AddrPort]*srtp.Context{})
	c.ups.Store(&map[uint32]*UpTrack{})
	go c.readLoop()
	return c, nil
}

// Addr is where other nodes send this node's cascaded media.
func (c *Cascade) Addr() netip.AddrPort { return c.addr }

// Close stops the read goroutine and waits for it.
func (c *Cascade) Close() {
	_ = c.conn.Close()
	<-c.done
}

// Accept takes media from the node at from, encrypted with key.
func (c *Cascade) Accept(from netip.AddrPort, key CascadeKey) error {
	ctx, err := srtp.CreateContext(key.Key, key.Salt, cascadeProfile, srtp.SRTPReplayProtection(256), cascadeRCC())
	if err != nil {
		return fmt.Errorf("%w: key of %s: %w", ErrCascade, from, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := copyMap(*c.recv.Load())
	m[from] = ctx
	c.recv.Store(&m)
	return nil
}

// Refuse stops taking media from the node at from.
func (c *Cascade) Refuse(from netip.AddrPort) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := copyMap(*c.recv.Load())
	delete(m, from)
	c.recv.Store(&m)
}

// route makes packets with ssrc arrive on up (nil: dropped).
func (c *Cascade) route(ssrc uint32, up *UpTrack) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := copyMap(*c.ups.Load())
	if up == nil {
		delete(m, ssrc)
	} else {
		m[ssrc] = up
	}
	c.ups.Store(&m)
}

func copyMap[K comparable, V any](in map[K]V) map[K]V {
	out := make(map[K]V, len(in)+1)
	for k, v := range in {
		out[k] = v
	}
	return out
}

// readLoop is the cascade's receive path: one buffer and one packet,
// reused for every datagram.
func (c *Cascade) readLoop() {
	defer close(c.done)
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		c.receive(buf[:n], from, &p)
	}
}

// receive decrypts one datagram in place and forwards it.
func (c *Cascade) receive(b []byte, from netip.AddrPort, p *rtp.Packet) {
	ctx := (*c.recv.Load())[from]
	if ctx == nil {
		c.Dropped.Add(1)
		return
	}
	plain, err := ctx.DecryptRTP(b, b, &p.Header)
	if err != nil {
		c.Dropped.Add(1)
		return
	}
	c.RecvBytes.Add(uint64(len(b)))
	up := (*c.ups.Load())[p.SSRC]
	if up == nil {
		c.Dropped.Add(1)
		return
	}
	if p.Unmarshal(plain) != nil {
		c.Dropped.Add(1)
		return
	}
	up.Forward(p)
}

// CascadeSSRC names one published track of a member between nodes: the
// same on every node, so a relayed stream keeps it.
func CascadeSSRC(member, track string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(member))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(track))
	return h.Sum32()
}
