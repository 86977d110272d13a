package testpeers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Default addresses of a Baresip peer (inside a test network namespace).
const (
	DefaultBaresipSIP  = "127.0.0.2:5070"
	DefaultBaresipCtrl = "127.0.0.1:4444"
	DefaultBaresipCons = "127.0.0.1:5555"
)

// BaresipOptions configure StartBaresip; zero fields take the defaults.
type BaresipOptions struct {
	// Accounts are baresip account lines, e.g.
	// "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu".
	// The request-URI's user picks the account of an incoming call.
	Accounts []string
	SIP      string // sip_listen; default DefaultBaresipSIP
	Ctrl     string // ctrl_tcp_listen; default DefaultBaresipCtrl
	Cons     string // cons_listen (UDP, DTMF keys); default DefaultBaresipCons
	// Interface is net_interface; default SIP's IP.
	Interface string
	// The microphone: a sine of ToneHz (default 440) at peak ToneAmp
	// (default 0.3) sampled at ToneRate (default 8000, PCMU's rate).
	ToneHz, ToneAmp float64
	ToneRate        int
	// NoRTCPMux makes baresip send RTCP on its own port (rtcp_mux no),
	// as many phones do.
	NoRTCPMux bool
}

// Baresip is a running baresip peer whose ctrl_tcp events are collected.
type Baresip struct {
	// Dir holds config, accounts, the tone and rec/ (sndfile's recordings).
	Dir string
	// SIP, Ctrl and Cons are the addresses it listens on.
	SIP, Ctrl, Cons string

	cmd    *exec.Cmd
	ctrl   net.Conn
	mu     sync.Mutex
	events []map[string]any
	out    bytes.Buffer
}

// StartBaresip writes a headless configuration (TESTING.md), starts
// `baresip -4 -f DIR`, waits for "baresip is ready." and connects to
// ctrl_tcp. baresip is stopped in t.Cleanup. A missing baresip fails the
// test with a pointer to scripts/install-deps.sh.
func StartBaresip(t testing.TB, o BaresipOptions) *Baresip {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Fatalf("baresip not found (%v): run scripts/install-deps.sh as root to install baresip-core", err)
	}
	if o.SIP == "" {
		o.SIP = DefaultBaresipSIP
	}
	if o.Ctrl == "" {
		o.Ctrl = DefaultBaresipCtrl
	}
	if o.Cons == "" {
		o.Cons = DefaultBaresipCons
	}
	if o.Interface == "" {
		o.Interface, _, _ = net.SplitHostPort(o.SIP)
	}
	if o.ToneHz == 0 {
		o.ToneHz = 440
	}
	if o.ToneAmp == 0 {
		o.ToneAmp = 0.3
	}
	if o.ToneRate == 0 {
		o.ToneRate = 8000
	}
	dir := t.TempDir()
	check(t, os.MkdirAll(filepath.Join(dir, "rec"), 0o755))
	tone := filepath.Join(dir, "tone.wav")
	check(t, WriteToneWAV(tone, o.ToneRate, o.ToneHz, o.ToneAmp, 20*time.Second))
	cfg := fmt.Sprintf(`sip_listen %s
net_interface %s
audio_player alsa,null
audio_source aufile,%s
audio_alert alsa,null
rtcp_mux %s
module_path /usr/lib/baresip/modules
module g711.so
module opus.so
module aufile.so
module alsa.so
module sndfile.so
module ice.so
module srtp.so
module dtls_srtp.so
module cons.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen %s
cons_listen %s
snd_path %s/rec
`, o.SIP, o.Interface, tone, yesNo(!o.NoRTCPMux), o.Ctrl, o.Cons, dir)
	check(t, os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644))
	check(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(strings.Join(o.Accounts, "\n")+"\n"), 0o644))

	b := &Baresip{Dir: dir, SIP: o.SIP, Ctrl: o.Ctrl, Cons: o.Cons}
	b.cmd = exec.Command("baresip", "-4", "-f", dir)
	pr, pw := io.Pipe()
	b.cmd.Stdout, b.cmd.Stderr = pw, pw
	check(t, b.cmd.Start())
	t.Cleanup(func() { StopProcess(b.cmd); _ = pw.Close() })
	ready := make(chan struct{})
	go b.readOutput(pr, ready)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("baresip not ready:\n%s", b.Output())
	}
	conn, err := net.DialTimeout("tcp", o.Ctrl, 2*time.Second)
	check(t, err)
	b.ctrl = conn
	t.Cleanup(func() { _ = conn.Close() })
	go b.readEvents()
	return b
}

func (b *Baresip) readOutput(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	once := sync.Once{}
	for sc.Scan() {
		b.mu.Lock()
		b.out.WriteString(sc.Text() + "\n")
		b.mu.Unlock()
		if strings.Contains(sc.Text(), "baresip is ready.") {
			once.Do(func() { close(ready) })
		}
	}
}

// Output is everything baresip printed so far.
func (b *Baresip) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// readEvents parses ctrl_tcp netstrings (LEN:JSON,).
func (b *Baresip) readEvents() {
	r := bufio.NewReader(b.ctrl)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenStr, ":"))
		if err != nil {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) == nil {
			b.mu.Lock()
			b.events = append(b.events, m)
			b.mu.Unlock()
		}
	}
}

// Command sends a ctrl_tcp command such as "dial" with params
// "sip:4930@127.0.0.1:5060", "hangup", "hold" or "resume".
func (b *Baresip) Command(t testing.TB, cmd, params string) {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	_, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg)
	check(t, err)
}

// PressKeys types keys on baresip's console (cons module); in a call each
// digit is sent as DTMF.
func (b *Baresip) PressKeys(t testing.TB, keys string) {
	t.Helper()
	conn, err := net.Dial("udp", b.Cons)
	check(t, err)
	defer conn.Close()
	for _, k := range keys {
		_, err = conn.Write([]byte(string(k) + "\x04"))
		check(t, err)
	}
}

// WaitEvent waits for the first event of type typ (e.g. CALL_ESTABLISHED)
// and fails the test with all events and baresip's output after timeout.
func (b *Baresip) WaitEvent(t testing.TB, typ string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if e := b.FindEvent(typ); e != nil {
			return e
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("baresip event %s not seen in %s; events: %v\noutput:\n%s", typ, timeout, b.EventTypes(), b.Output())
	return nil
}

// FindEvent returns the first event of type typ seen so far, or nil.
func (b *Baresip) FindEvent(typ string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

// Events returns every event of type typ seen so far.
func (b *Baresip) Events(typ string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, e := range b.events {
		if e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// EventTypes lists "TYPE param" of every event seen, for failure messages.
func (b *Baresip) EventTypes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ts []string
	for _, e := range b.events {
		ts = append(ts, fmt.Sprint(e["type"], " ", e["param"]))
	}
	return ts
}

// Param is an event's "param" field as a string.
func Param(e map[string]any) string {
	s, _ := e["param"].(string)
	return s
}

// Recordings returns the WAV files sndfile wrote (*-dec.wav is what
// baresip decoded from the peer, *-enc.wav what it sent).
func (b *Baresip) Recordings() []string {
	files, _ := filepath.Glob(filepath.Join(b.Dir, "rec", "*.wav"))
	return files
}

// RecordingTone is the strongest level of freq over the last second of
// baresip's decoded recordings, -200 if none is a second long yet.
func (b *Baresip) RecordingTone(t testing.TB, freq float64) float64 {
	t.Helper()
	best := -200.0
	for _, f := range b.Recordings() {
		if !strings.HasSuffix(f, "-dec.wav") {
			continue
		}
		pcm, rate, err := ReadWAV(f)
		if err != nil || len(pcm) < rate {
			continue
		}
		db := ToneDB(pcm[len(pcm)-rate:], rate, freq)
		t.Logf("baresip recording %s: %d samples at %d Hz, %.0f Hz tone at %.1f dBFS", f, len(pcm), rate, freq, db)
		best = max(best, db)
	}
	return best
}

// CheckRecording waits up to 5 s (baresip may still be writing the file)
// for a decoded recording of at least a second whose last second holds
// freq at minDB or louder; it returns the level and marks the test failed
// otherwise.
func (b *Baresip) CheckRecording(t testing.TB, freq, minDB float64) float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		best := b.RecordingTone(t, freq)
		if best >= minDB {
			return best
		}
		if time.Now().After(deadline) {
			t.Errorf("%.0f Hz tone not in baresip's recordings %v (best %.1f dB, want ≥ %.1f)", freq, b.Recordings(), best, minDB)
			return best
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// StopProcess sends SIGTERM, then SIGKILL after 2 s, and reaps cmd.
func StopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// DecodedToneProfile is ToneProfile of freq over 250 ms windows of every
// decoded recording (*-dec.wav) baresip wrote, one slice per file.
func (b *Baresip) DecodedToneProfile(freq float64) map[string][]float64 {
	out := map[string][]float64{}
	for _, f := range b.Recordings() {
		if !strings.HasSuffix(f, "-dec.wav") {
			continue
		}
		if pcm, rate, err := ReadWAV(f); err == nil {
			out[filepath.Base(f)] = ToneProfile(pcm, rate, freq, rate/4)
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
