package siptrunk

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// logBuffer collects log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// floodTrunk starts a UDP trunk on ourSIP whose PBX is 127.0.0.2, logging
// at debug level into logs.
func floodTrunk(t *testing.T, logs *logBuffer, rl configs.TrunkRateLimit) *Trunk {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 5 * time.Second}, testLogger())
	t.Cleanup(calls.Close)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: "127.0.0.2:5060", Listen: ourSIP, Media: "rtp",
		Codecs: []string{"pcmu"}, RateLimit: rl}, MediaIP: ourIP}, calls, log)
	must(t, err)
	frozen := time.Now()
	tr.now = func() time.Time { return frozen } // no token comes back during a test
	must(t, tr.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Close(ctx)
	})
	return tr
}

// sendPaced sends msg n times from conn, waiting for the trunk to have
// seen each batch (count), so the kernel's socket buffer never drops.
func sendPaced(t *testing.T, conn net.PacketConn, msg []byte, n int, count func() uint64) {
	t.Helper()
	dst, _ := net.ResolveUDPAddr("udp4", ourSIP)
	base := count()
	for sent := 0; sent < n; {
		for i := 0; i < 20 && sent < n; i++ {
			_, err := conn.WriteTo(msg, dst)
			must(t, err)
			sent++
		}
		waitUntil(t, 5*time.Second, "the trunk to read the batch", func() bool { return count()-base >= uint64(sent) })
	}
}

// silent reports whether nothing arrives on conn for d.
func silent(conn net.PacketConn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, _, err := conn.ReadFrom(make([]byte, 2048))
	return err != nil
}

// TestFrontDoorStrangerFloodLogVolume: 5,000 unparsable 1,360-byte
// datagrams from a stranger (127.0.0.3) and 2,000 RFC 2543-style requests
// from another (127.0.0.4) get no answer, are all counted, and cost less
// than 10 KiB of log at debug level — one line per source and one summary
// per interval, never a byte of what they sent.
func TestFrontDoorStrangerFloodLogVolume(t *testing.T) {
	logs := &logBuffer{}
	tr := floodTrunk(t, logs, configs.TrunkRateLimit{})
	logs.Reset()
	junk := bytes.Repeat([]byte("JUNK\x00\xff"), 1360/6)
	a, err := net.ListenPacket("udp4", "127.0.0.3:0")
	must(t, err)
	defer a.Close()
	b, err := net.ListenPacket("udp4", "127.0.0.4:5060")
	must(t, err)
	defer b.Close()
	inv2543 := readTorture(t, "inv2543")
	dropped := func() uint64 { return tr.Stats.DroppedSources.Load() }
	sendPaced(t, a, junk, 5000, dropped)
	sendPaced(t, b, inv2543, 2000, dropped)
	if !silent(a, 300*time.Millisecond) || !silent(b, 300*time.Millisecond) {
		t.Error("a stranger got an answer")
	}
	tr.door.flush()
	out := logs.String()
	t.Logf("%d stranger messages → %d bytes of log:\n%s", dropped(), len(out), out)
	if n := dropped(); n != 7000 {
		t.Errorf("dropped %d, want 7000", n)
	}
	if len(out) >= 10*1024 {
		t.Errorf("%d bytes of log for a stranger flood, want < 10 KiB", len(out))
	}
	for _, want := range []string{
		`msg="security: SIP from a source not allowed" stream=security remote=127.0.0.3 trunk=pbx messages=1`,
		`remote=127.0.0.3 trunk=pbx messages=4999`,
		`msg="security: SIP from a source not allowed" stream=security remote=127.0.0.4 trunk=pbx messages=1`,
		`remote=127.0.0.4 trunk=pbx messages=1999`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "JUNK") || strings.Contains(out, "UserB") || strings.Contains(out, "inv2543") {
		t.Error("the log echoes what a stranger sent")
	}
}

// TestFrontDoorPeerMessageRate: with rate_limit.messages 10 (burst 20),
// on a frozen clock the PBX's 30 OPTIONS get 20 answers and 10 are
// dropped and counted, with an operational log line (never a security
// one: the PBX must not be banned).
func TestFrontDoorPeerMessageRate(t *testing.T) {
	logs := &logBuffer{}
	tr := floodTrunk(t, logs, configs.TrunkRateLimit{Messages: 10})
	pbx := newRawSocket(t, "127.0.0.2:5091")
	answered := 0
	for i := range 30 {
		msg := strings.ReplaceAll(rawRequest("OPTIONS", "SIP/2.0", "1 OPTIONS"), "127.0.0.2:5090", pbx.addr)
		pbx.send(t, strings.Replace(msg, "Call-ID: raw-", fmt.Sprintf("Call-ID: rl%d-", i), 1))
		if _, ok := pbx.await("SIP/2.0 200", 200*time.Millisecond); ok {
			answered++
		}
	}
	if answered != 20 || tr.Stats.PeerRateLimited.Load() != 10 {
		t.Errorf("30 OPTIONS: %d answered, %d rate-limited; want 20 and 10", answered, tr.Stats.PeerRateLimited.Load())
	}
	tr.door.flush()
	if !strings.Contains(logs.String(), `reason="over rate_limit.messages"`) || strings.Contains(logs.String(), "security:") {
		t.Errorf("rate limiting the PBX must log an operational line, never a security one:\n%s", logs.String())
	}
}

// TestFrontDoorPeerCallRate: with rate_limit.calls 1 (burst 2), on a
// frozen clock the third of three new INVITEs is answered 503 with
// Retry-After; retransmissions cost no token.
func TestFrontDoorPeerCallRate(t *testing.T) {
	tr := floodTrunk(t, &logBuffer{}, configs.TrunkRateLimit{Calls: 1})
	pbx := newRawSocket(t, "127.0.0.2:5091")
	var got []string
	for i := range 3 {
		callID := fmt.Sprintf("calls-%d", i)
		invite := strings.Replace(attackInvite(pbx, callID, "4930"), "From: <sip:1002@", "From: <sip:0300@", 1)
		pbx.send(t, invite)
		pbx.send(t, invite) // a retransmission: the same transaction
		got = append(got, finalStatus(t, pbx, callID))
	}
	if !strings.Contains(got[2], " 503 ") || strings.Contains(got[0], " 503 ") || strings.Contains(got[1], " 503 ") {
		t.Errorf("3 INVITEs answered %q; want the third 503", got)
	}
	if tr.Stats.CallsLimited.Load() != 1 {
		t.Errorf("calls limited %d times, want 1", tr.Stats.CallsLimited.Load())
	}
}

// TestRateLimiterRefills: tokens come back at the rate, up to the burst.
func TestRateLimiterRefills(t *testing.T) {
	now := time.Unix(0, 0)
	r := newRateLimiter(10, 20, func() time.Time { return now })
	a := netip.MustParseAddr("192.0.2.1")
	n := 0
	for r.allow(a) {
		n++
	}
	if n != 20 {
		t.Fatalf("burst = %d, want 20", n)
	}
	now = now.Add(500 * time.Millisecond)
	n = 0
	for r.allow(a) {
		n++
	}
	if n != 5 {
		t.Errorf("after 0.5 s: %d tokens, want 5", n)
	}
	if !r.allow(netip.MustParseAddr("192.0.2.2")) {
		t.Error("another source shares the bucket")
	}
}

// TestSummaryLog: one line at a source's first event, one summary per
// interval while it keeps sending, nothing once it is quiet, and one line
// for sources beyond the table.
func TestSummaryLog(t *testing.T) {
	logs := &logBuffer{}
	s := newSummaryLog(slog.New(slog.NewTextHandler(logs, nil)), "security: test", "trunk", "pbx")
	a := netip.MustParseAddr("192.0.2.1")
	for range 10 {
		s.event(a, "x")
	}
	s.flush()
	s.flush() // quiet interval: nothing, and a is forgotten
	s.event(a, "x")
	for i := range maxLoggedSources + 3 {
		s.event(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), "x")
	}
	s.flush()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4+maxLoggedSources-1 {
		t.Fatalf("%d lines:\n%s", len(lines), logs.String())
	}
	for i, want := range []string{"remote=192.0.2.1 trunk=pbx messages=1", "remote=192.0.2.1 trunk=pbx messages=9",
		"remote=192.0.2.1 trunk=pbx messages=1"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "more sources than logged") || !strings.Contains(last, "messages=4") {
		t.Errorf("overflow line %q", last)
	}
}

// TestSipgoLogNeverEchoes: what sipgo logs loses its "data" and long
// values are cut.
func TestSipgoLogNeverEchoes(t *testing.T) {
	logs := &logBuffer{}
	l := sipgoLogger(slog.New(slog.NewTextHandler(logs, nil)))
	l.Error("failed to parse", "data", "INVITE secret", "error", strings.Repeat("x", 1000))
	out := logs.String()
	if strings.Contains(out, "secret") || len(out) > 400 {
		t.Errorf("sipgo log echoes input: %q", out)
	}
}
