package siptrunk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// busyTCPPeer is a SIP peer on TCP only that answers every INVITE 486 and
// keeps each connection until the caller closes it, as Asterisk does, so
// the TIME_WAIT of each connection is on our side.
type busyTCPPeer struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	invites int
}

func startBusyTCPPeer(t *testing.T) *busyTCPPeer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	must(t, err)
	p := &busyTCPPeer{ln: ln}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

func (p *busyTCPPeer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); defer c.Close(); p.serve(c) }()
	}
}

// serve answers each INVITE on c 486 (ACKs are read and dropped).
func (p *busyTCPPeer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := textproto.NewReader(bufio.NewReader(c))
	for {
		start, err := r.ReadLine()
		if err != nil {
			return
		}
		hdr, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(hdr.Get("Content-Length"))
		if _, err := io.CopyN(io.Discard, r.R, int64(n)); err != nil {
			return
		}
		if !strings.HasPrefix(start, "INVITE ") {
			continue
		}
		p.mu.Lock()
		p.invites++
		p.mu.Unlock()
		fmt.Fprintf(c, "SIP/2.0 486 Busy Here\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=busy\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
			hdr.Get("Via"), hdr.Get("From"), hdr.Get("To"), hdr.Get("Call-ID"), hdr.Get("CSeq"))
	}
}

// TestLargeInvitesOverTCPAfterARestart: a UDP trunk whose INVITEs are too
// large for UDP sends them over TCP from an ephemeral port. sipgo opened
// that connection from the UDP listening port, so after the trunk was
// restarted (a reload, a new process) its first call failed with "address
// already in use" for as long as the old connection sat in TIME_WAIT.
func TestLargeInvitesOverTCPAfterARestart(t *testing.T) {
	peer := startBusyTCPPeer(t)
	tc := configs.Trunk{Name: "pbx", Address: peer.ln.Addr().String(), Listen: freeUDPAddr(t), Media: "rtp"}
	caller := sfu.Identity{Number: "1001", Name: strings.Repeat("A long display name ", 60)}
	for i := range 2 {
		tr, err := New(Config{Trunk: tc, MediaIP: ourIP,
			Dialplan:   []configs.DialRule{{Pattern: "0.", Trunk: tc.Name, Permission: "national"}},
			Permission: func(string) string { return "national" }}, nil, testLogger())
		must(t, err)
		must(t, tr.Start())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = tr.Dial(ctx, sfu.DialRequest{CallID: fmt.Sprint("big", i), From: caller, To: "0123456",
			Origin: sfu.ExtensionOrigin("1001")})
		must(t, tr.Close(ctx))
		cancel()
		if !errors.Is(err, sfu.ErrBusy) {
			t.Fatalf("call %d: %v, want the peer's busy", i+1, err)
		}
	}
	peer.mu.Lock()
	defer peer.mu.Unlock()
	if peer.invites != 2 {
		t.Errorf("the peer got %d INVITEs over TCP, want 2", peer.invites)
	}
}

// freeUDPAddr is a loopback address with a UDP port free now: the trunk
// must listen on a fixed port for sipgo to bind its connections to it.
func freeUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	must(t, err)
	addr := c.LocalAddr().String()
	must(t, c.Close())
	return addr
}
