package engine

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/stun/v4"
)

func TestICELiteResponder(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	e, err := New(Config{Listen: "127.0.0.1:0", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: "client", RemoteFingerprint: testFP, Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	c := dialEngine(t, e)
	resp, ok := check(t, c, p.Local().Ufrag, p.Local().Pwd, false)
	if !ok || resp.Type != stun.BindingSuccess {
		t.Fatalf("valid check: answered %v, %v", ok, resp)
	}
	var xor stun.XORMappedAddress
	if err := xor.GetFrom(resp); err != nil {
		t.Fatal(err)
	}
	if got := clientAddr(c); xor.String() != got.String() {
		t.Errorf("XOR-MAPPED-ADDRESS %s, want %s", xor.String(), got)
	}
	if err := resp.Check(stun.NewShortTermIntegrity(p.Local().Pwd), stun.Fingerprint); err != nil {
		t.Errorf("response integrity/fingerprint: %v", err)
	}
	if a, _ := p.RemoteAddr(); a != clientAddr(c) {
		t.Errorf("peer bound to %v, want %v", a, clientAddr(c))
	}
	if !p.LastConsent().Equal(now) {
		t.Errorf("last consent %v, want the injected clock's %v", p.LastConsent(), now)
	}
}

func TestNominationMovesPeer(t *testing.T) {
	e := newTestEngine(t)
	r := newRecorder()
	p, a := addFakePeer(t, e, r, true)
	b := &fakeClient{conn: dialEngine(t, e), encrypt: a.encrypt, decrypt: a.decrypt}
	if _, ok := check(t, b.conn, p.Local().Ufrag, p.Local().Pwd, false); !ok {
		t.Fatal("valid check from a second address not answered")
	}
	if got, _ := p.RemoteAddr(); got != clientAddr(a.conn) {
		t.Fatalf("a check without USE-CANDIDATE moved the peer to %v", got)
	}
	if _, ok := check(t, b.conn, p.Local().Ufrag, p.Local().Pwd, true); !ok {
		t.Fatal("nominating check not answered")
	}
	if got, _ := p.RemoteAddr(); got != clientAddr(b.conn) {
		t.Fatalf("nomination left the peer at %v", got)
	}
	// Media from the old address is now a stranger's; from the new one it arrives.
	before := e.Stats().DroppedStranger
	a.sendRTP(t, 1, "old")
	b.sendRTP(t, 2, "new")
	g := <-r.rtp
	if g.payload != "new" {
		t.Fatalf("handler got %q", g.payload)
	}
	waitFor(t, time.Second, "the old address's packet counted", func() bool {
		return e.Stats().DroppedStranger == before+1
	})
	// And what the engine sends goes to the new address.
	if err := p.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 9, SequenceNumber: 1},
		Payload: []byte("down")}); err != nil {
		t.Fatal(err)
	}
	if got := b.readRTP(t); string(got.Payload) != "down" {
		t.Fatalf("new address read %q", got.Payload)
	}
}

func (c *fakeClient) sendRTP(t testing.TB, seq uint16, payload string) {
	t.Helper()
	raw, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
		SSRC: 0xc1}, Payload: []byte(payload)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.encrypt.EncryptRTP(nil, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Write(enc); err != nil {
		t.Fatal(err)
	}
}

func (c *fakeClient) readRTP(t testing.TB) *rtp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			t.Fatalf("no RTP from the engine: %v", err)
		}
		if stun.IsMessage(buf[:n]) {
			continue
		}
		plain, err := c.decrypt.DecryptRTP(nil, buf[:n], nil)
		if err != nil {
			t.Fatalf("engine's RTP does not decrypt: %v", err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(plain); err != nil {
			t.Fatal(err)
		}
		return &p
	}
}

// TestHostileInput sends what a scanner or a confused peer might, and
// checks each is dropped into its counter, unanswered, with no crash and
// nothing reaching the handler.
func TestHostileInput(t *testing.T) {
	e := newTestEngine(t)
	r := newRecorder()
	p, good := addFakePeer(t, e, r, true)
	stranger := dialEngine(t, e)
	valid, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1, SequenceNumber: 7},
		Payload: []byte("x")}).Marshal()
	forged := append(append([]byte(nil), valid...), make([]byte, 16)...) // zero auth tag

	cases := []struct {
		name    string
		from    *net.UDPConn
		send    func(c *net.UDPConn)
		counter func(Stats) uint64
	}{
		{"junk first byte", stranger, raw([]byte{100, 1, 2, 3}), func(s Stats) uint64 { return s.DroppedJunk }},
		{"empty datagram", stranger, raw([]byte{}), func(s Stats) uint64 { return s.DroppedJunk }},
		{"STUN garbage", stranger, raw([]byte{0, 1, 0, 0, 1, 2}), func(s Stats) uint64 { return s.DroppedSTUN }},
		{"STUN bad integrity", stranger, func(c *net.UDPConn) { check(t, c, p.Local().Ufrag, "wrong-password-0123456789", true) },
			func(s Stats) uint64 { return s.DroppedSTUN }},
		{"STUN wrong remote ufrag", stranger, func(c *net.UDPConn) {
			m := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.NewUsername(p.Local().Ufrag+":mallory"),
				stun.NewShortTermIntegrity(p.Local().Pwd), stun.Fingerprint)
			_, _ = c.Write(m.Raw)
		}, func(s Stats) uint64 { return s.DroppedSTUN }},
		{"STUN unknown ufrag", stranger, func(c *net.UDPConn) { check(t, c, "nobody", p.Local().Pwd, true) },
			func(s Stats) uint64 { return s.DroppedUfrag }},
		{"RTP from an unbound address", stranger, raw(forged), func(s Stats) uint64 { return s.DroppedStranger }},
		{"DTLS from a stranger", stranger, raw([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0}), func(s Stats) uint64 { return s.DroppedStranger }},
		{"truncated RTP from the peer", good.conn, raw(valid[:5]), func(s Stats) uint64 { return s.DroppedJunk }},
		{"RTP with a forged tag from the peer", good.conn, raw(forged), func(s Stats) uint64 { return s.DroppedDecrypt }},
		{"SRTCP with a forged tag from the peer", good.conn, raw([]byte{0x80, 200, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 1}), func(s Stats) uint64 { return s.DroppedDecrypt }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.counter(e.Stats())
			tc.send(tc.from)
			// The counter, not Received: the read loop counts a datagram
			// as received before it has handled it.
			waitFor(t, time.Second, "the drop counted", func() bool { return tc.counter(e.Stats()) > before })
			if tc.from == stranger {
				if m, ok := readSTUN(t, stranger, 50*time.Millisecond); ok {
					t.Fatalf("a stranger got an answer: %v", m)
				}
			}
			if after := tc.counter(e.Stats()); after != before+1 {
				t.Fatalf("counter went %d → %d, want +1", before, after)
			}
		})
	}
	if n := r.count(); n != 0 {
		t.Fatalf("%d hostile packets reached the handler", n)
	}
	// The peer still works afterwards.
	good.sendRTP(t, 100, "still fine")
	if g := <-r.rtp; g.payload != "still fine" {
		t.Fatalf("handler got %q", g.payload)
	}
}

func raw(b []byte) func(c *net.UDPConn) {
	return func(c *net.UDPConn) { _, _ = c.Write(b) }
}

// logRecords is a slog handler that keeps every record's message and
// attributes.
type logRecords struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) WithGroup(string) slog.Handler            { return h }
func (h *logRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return &withAttrs{h, as}
}
func (h *logRecords) Handle(_ context.Context, r slog.Record) error { return h.add(r, nil) }

func (h *logRecords) add(r slog.Record, extra []slog.Attr) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	for _, a := range extra {
		m[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	h.recs = append(h.recs, m)
	h.mu.Unlock()
	return nil
}

func (h *logRecords) security() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.recs {
		if r["stream"] == "security" {
			out = append(out, r)
		}
	}
	return out
}

type withAttrs struct {
	h  *logRecords
	as []slog.Attr
}

func (w *withAttrs) Enabled(context.Context, slog.Level) bool { return true }
func (w *withAttrs) WithGroup(string) slog.Handler            { return w }
func (w *withAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &withAttrs{w.h, append(slices.Clone(w.as), as...)}
}
func (w *withAttrs) Handle(_ context.Context, r slog.Record) error { return w.h.add(r, w.as) }

// TestBadPasswordOnSecurityStream: checks with a known ufrag and a wrong
// password are logged on the security stream with the remote address,
// once per second however many arrive.
func TestBadPasswordOnSecurityStream(t *testing.T) {
	logs := &logRecords{}
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, err := New(Config{Listen: "127.0.0.1:0", Logger: slog.New(logs), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: "client", RemoteFingerprint: testFP, Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	c := dialEngine(t, e)
	for range 3 {
		if _, ok := checkAs(t, c, p.Local().Ufrag, "client", "guessed-password-0123456", true); ok {
			t.Fatal("a wrong password was answered")
		}
	}
	mu.Lock()
	now = now.Add(1100 * time.Millisecond)
	mu.Unlock()
	checkAs(t, c, p.Local().Ufrag, "client", "guessed-password-0123456", true)
	sec := logs.security()
	if len(sec) != 2 {
		t.Fatalf("%d security records for 4 bad checks over 1.1 s, want 2: %v", len(sec), sec)
	}
	if sec[0]["remote"] != "127.0.0.1" || sec[0]["ufrag"] != p.Local().Ufrag || sec[0]["level"] != "WARN" {
		t.Fatalf("security record %v", sec[0])
	}
	if got := e.Stats().DroppedSTUN; got != 4 {
		t.Fatalf("DroppedSTUN %d, want 4", got)
	}
}
