//go:build linux

package sfutest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"golang.org/x/sys/unix"
)

// Namespace is a private network namespace joined to the test's own by a
// veth pair: a fake browser whose sockets live in it reaches the server
// only over the veth, where the test can shape the link with tc (see
// docs/resilience.md for the recipe). Creating it needs root (CAP_NET_ADMIN
// and CAP_SYS_ADMIN) and iproute2.
type Namespace struct {
	HostDev, PeerDev string // veth ends: in the test's namespace, in this one
	HostIP, PeerIP   string // their addresses (one /24)

	tid   int // the namespace thread's id: /proc/TID/ns/net is the namespace
	calls chan func()
	done  chan struct{}
	wg    sync.WaitGroup
}

// ErrNamespace reports that the namespace or its link could not be made.
var ErrNamespace = errors.New("sfutest: network namespace")

// NewNamespace creates the namespace and a veth pair named after tag (a few
// letters), with hostIP on the test's end and peerIP on the other (/24).
func NewNamespace(tag, hostIP, peerIP string) (*Namespace, error) {
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%w: %s not found: apt-get install iproute2", ErrNamespace, tool)
		}
	}
	ns := &Namespace{HostDev: "xph" + tag, PeerDev: "xpp" + tag, HostIP: hostIP, PeerIP: peerIP,
		calls: make(chan func()), done: make(chan struct{})}
	ready := make(chan error, 1)
	ns.wg.Add(1)
	go ns.serve(ready)
	if err := <-ready; err != nil {
		ns.wg.Wait()
		return nil, fmt.Errorf("%w: unshare (needs root): %w", ErrNamespace, err)
	}
	if err := ns.link(); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// serve is the namespace's thread: it leaves the process's namespace for a
// new one and runs what Run gives it there. It never unlocks the thread,
// so the thread ends with the goroutine and no other code runs in there.
func (ns *Namespace) serve(ready chan<- error) {
	defer ns.wg.Done()
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		ready <- err
		return
	}
	ns.tid = unix.Gettid()
	ready <- nil
	for {
		select {
		case f := <-ns.calls:
			f()
		case <-ns.done:
			return
		}
	}
}

// Run runs f inside the namespace (sockets it opens stay there); false
// when the namespace is closed and f did not run.
func (ns *Namespace) Run(f func()) bool {
	finished := make(chan struct{})
	select {
	case ns.calls <- func() { f(); close(finished) }:
	case <-ns.done:
		return false
	}
	<-finished
	return true
}

// errClosed is what socket calls get once the namespace is closed.
var errClosed = fmt.Errorf("%w: closed", ErrNamespace)

// link creates the veth pair in the test's namespace, moves one end into
// the new one (named by its thread's id) and brings both ends up.
func (ns *Namespace) link() error {
	err := runAll(
		[]string{"ip", "link", "add", ns.HostDev, "type", "veth", "peer", "name", ns.PeerDev},
		[]string{"ip", "link", "set", ns.PeerDev, "netns", strconv.Itoa(ns.tid)},
		[]string{"ip", "addr", "add", ns.HostIP + "/24", "dev", ns.HostDev},
		[]string{"ip", "link", "set", ns.HostDev, "up"},
	)
	if err != nil {
		return err
	}
	err = errClosed
	ns.Run(func() {
		err = runAll(
			[]string{"ip", "link", "set", "lo", "up"},
			[]string{"ip", "addr", "add", ns.PeerIP + "/24", "dev", ns.PeerDev},
			[]string{"ip", "link", "set", ns.PeerDev, "up"},
		)
	})
	return err
}

// Shape replaces the root queueing discipline on the host end (what the
// server sends into the namespace), e.g. "tbf", "rate", "300kbit", …
func (ns *Namespace) Shape(qdisc ...string) error {
	return runAll(append([]string{"tc", "qdisc", "replace", "dev", ns.HostDev, "root"}, qdisc...))
}

func runAll(cmds ...[]string) error {
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%w: %v: %v: %s", ErrNamespace, c, err, out)
		}
	}
	return nil
}

// Close removes the veth pair and ends the namespace's thread; the
// namespace goes away with the last socket in it.
func (ns *Namespace) Close() {
	_ = exec.Command("ip", "link", "del", ns.HostDev).Run()
	select {
	case <-ns.done:
	default:
		close(ns.done)
	}
	ns.wg.Wait()
}

// Impairment is what the link does to a client's outgoing packets, in user
// space (the kernel's netem qdisc, where it exists, does the same): drop a
// share of them and delay each by a random amount (which also reorders).
type Impairment struct {
	Loss   float64       // 0..1
	Jitter time.Duration // each packet waits uniformly 0..2·Jitter
	Seed   uint64
}

// Net is a pion network whose sockets are opened inside the namespace,
// with imp applied to what they send (zero: none).
func (ns *Namespace) Net(imp Impairment) (transport.Net, error) {
	var n *stdnet.Net
	err := errClosed
	ns.Run(func() { n, err = stdnet.NewNet() }) // its interface list is the namespace's
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNamespace, err)
	}
	return &nsNet{Net: n, ns: ns, imp: imp, rng: rand.New(rand.NewPCG(imp.Seed, 7))}, nil
}

type nsNet struct {
	*stdnet.Net
	ns  *Namespace
	imp Impairment

	mu  sync.Mutex
	rng *rand.Rand
}

func (n *nsNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	var c transport.UDPConn
	err := errClosed
	n.ns.Run(func() { c, err = n.Net.ListenUDP(network, laddr) })
	if err != nil || (n.imp.Loss == 0 && n.imp.Jitter == 0) {
		return c, err
	}
	return &impairedConn{UDPConn: c, net: n}, nil
}

func (n *nsNet) ListenPacket(network, address string) (net.PacketConn, error) {
	var c net.PacketConn
	err := errClosed
	n.ns.Run(func() { c, err = n.Net.ListenPacket(network, address) })
	return c, err
}

func (n *nsNet) Dial(network, address string) (net.Conn, error) {
	var c net.Conn
	err := errClosed
	n.ns.Run(func() { c, err = n.Net.Dial(network, address) })
	return c, err
}

// fate decides one packet's: dropped, or sent after delay.
func (n *nsNet) fate() (drop bool, delay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rng.Float64() < n.imp.Loss {
		return true, 0
	}
	if n.imp.Jitter > 0 {
		delay = time.Duration(n.rng.Int64N(int64(2 * n.imp.Jitter)))
	}
	return false, delay
}

// impairedConn applies the impairment to every datagram written.
type impairedConn struct {
	transport.UDPConn
	net *nsNet
}

func (c *impairedConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	drop, delay := c.net.fate()
	if drop {
		return len(b), nil
	}
	if delay == 0 {
		return c.UDPConn.WriteTo(b, addr)
	}
	cp := append([]byte(nil), b...)
	time.AfterFunc(delay, func() { _, _ = c.UDPConn.WriteTo(cp, addr) })
	return len(b), nil
}
