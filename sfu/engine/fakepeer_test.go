package engine

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"
)

// A fixed test fingerprint: fake peers never finish a DTLS handshake.
const testFP = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

// fakeClient is a remote endpoint driven by hand: a UDP socket that sends
// real ICE checks, and SRTP contexts keyed like the engine's peer (keys
// installed directly, the handshake is proven by the browser tests).
type fakeClient struct {
	conn    *net.UDPConn
	encrypt *srtp.Context // what the client sends
	decrypt *srtp.Context // what the engine sent
}

var (
	keyC2E, saltC2E = make([]byte, 16), make([]byte, 12) // client → engine
	keyE2C, saltE2C = make([]byte, 16), make([]byte, 12) // engine → client
)

func init() {
	for i := range keyC2E {
		keyC2E[i], keyE2C[i] = byte(i), byte(100+i)
	}
	for i := range saltC2E {
		saltC2E[i], saltE2C[i] = byte(50+i), byte(200+i)
	}
}

// addFakePeer registers a peer and binds it to a fresh client socket
// through a valid, nominating ICE check.
func addFakePeer(t testing.TB, e *Engine, h Handler, replay bool) (*Peer, *fakeClient) {
	t.Helper()
	return addFakePeerOn(t, e, h, replay, dialEngine(t, e))
}

// addFakePeerOn is addFakePeer with the client's socket given.
func addFakePeerOn(t testing.TB, e *Engine, h Handler, replay bool, conn *net.UDPConn) (*Peer, *fakeClient) {
	t.Helper()
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: "client", RemoteFingerprint: testFP, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClient{conn: conn}
	if _, ok := check(t, c.conn, p.Local().Ufrag, p.Local().Pwd, true); !ok {
		t.Fatal("valid check not answered")
	}
	installKeys(t, p, replay)
	c.encrypt = mustContext(t, keyC2E, saltC2E)
	c.decrypt = mustContext(t, keyE2C, saltE2C)
	return p, c
}

func dialEngine(t testing.TB, e *Engine) *net.UDPConn {
	t.Helper()
	to := e.LocalAddr()
	if to.Addr().IsUnspecified() {
		to = loopback(to.Port()) // a dual-stack socket reached over IPv4
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func installKeys(t testing.TB, p *Peer, replay bool) {
	var opts []srtp.ContextOption
	if replay {
		opts = append(opts, srtp.SRTPReplayProtection(64), srtp.SRTCPReplayProtection(64))
	}
	p.keys.Store(&cryptoState{profile: dtls.SRTP_AEAD_AES_128_GCM,
		local:  mustContext(t, keyE2C, saltE2C),
		remote: mustContext(t, keyC2E, saltC2E, opts...)})
}

func mustContext(t testing.TB, key, salt []byte, opts ...srtp.ContextOption) *srtp.Context {
	c, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type useCandidate struct{}

func (useCandidate) AddTo(m *stun.Message) error {
	m.Add(stun.AttrUseCandidate, nil)
	return nil
}

// check sends a binding request as the controlling browser would and
// returns the response, if one came within 150 ms (loopback answers take
// well under a millisecond).
func check(t testing.TB, c *net.UDPConn, ufrag, pwd string, nominate bool) (*stun.Message, bool) {
	t.Helper()
	return checkAs(t, c, ufrag, "client", pwd, nominate)
}

// checkAs is check with the remote (client's) ufrag given.
func checkAs(t testing.TB, c *net.UDPConn, ufrag, remote, pwd string, nominate bool) (*stun.Message, bool) {
	t.Helper()
	setters := []stun.Setter{stun.TransactionID, stun.BindingRequest,
		stun.NewUsername(ufrag + ":" + remote)}
	if nominate {
		setters = append(setters, useCandidate{})
	}
	setters = append(setters, stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
	req := stun.MustBuild(setters...)
	if _, err := c.Write(req.Raw); err != nil {
		t.Fatal(err)
	}
	return readSTUN(t, c, 150*time.Millisecond)
}

func readSTUN(t testing.TB, c *net.UDPConn, d time.Duration) (*stun.Message, bool) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, false
		}
		if !stun.IsMessage(buf[:n]) {
			continue // media for this client
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if err := m.Decode(); err != nil {
			t.Fatalf("engine sent undecodable STUN: %v", err)
		}
		return m, true
	}
}

func clientAddr(c *net.UDPConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}
