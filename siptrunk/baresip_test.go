package siptrunk

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
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

// baresip is a running baresip peer with a ctrl_tcp connection whose
// events are collected.
type baresip struct {
	dir    string
	cmd    *exec.Cmd
	ctrl   net.Conn
	mu     sync.Mutex
	events []map[string]any
	out    bytes.Buffer
}

// Ports of the baresip peer.
const (
	baresipSIP  = "127.0.0.2:5070"
	baresipCtrl = "127.0.0.1:4444"
)

// startBaresip runs baresip with accounts (one per line) and a 440 Hz
// tone as its microphone, stopped in t.Cleanup.
func startBaresip(t *testing.T, accounts ...string) *baresip {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "rec"), 0o755))
	must(t, writeToneWAV(filepath.Join(dir, "tone8k.wav"), 8000, 440, 0.3, 20*time.Second))
	cfg := fmt.Sprintf(`sip_listen %s
net_interface 127.0.0.2
audio_player alsa,null
audio_source aufile,%s/tone8k.wav
audio_alert alsa,null
rtcp_mux yes
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
cons_listen 127.0.0.1:5555
snd_path %s/rec
`, baresipSIP, dir, baresipCtrl, dir)
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(strings.Join(accounts, "\n")+"\n"), 0o644))
	b := &baresip{dir: dir}
	b.cmd = exec.Command("baresip", "-4", "-f", dir)
	pr, pw := io.Pipe()
	b.cmd.Stdout, b.cmd.Stderr = pw, pw
	must(t, b.cmd.Start())
	t.Cleanup(func() { stopProcess(b.cmd); _ = pw.Close() })
	ready := make(chan struct{})
	go b.readOutput(pr, ready)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("baresip not ready:\n%s", b.output())
	}
	conn, err := net.DialTimeout("tcp", baresipCtrl, 2*time.Second)
	must(t, err)
	b.ctrl = conn
	t.Cleanup(func() { _ = conn.Close() })
	go b.readEvents()
	return b
}

func (b *baresip) readOutput(r io.Reader, ready chan struct{}) {
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

func (b *baresip) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// readEvents parses ctrl_tcp netstrings.
func (b *baresip) readEvents() {
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

// command sends a ctrl_tcp command.
func (b *baresip) command(t *testing.T, cmd, params string) {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	_, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg)
	must(t, err)
}

// waitEvent waits for an event of type typ (e.g. CALL_ESTABLISHED).
func (b *baresip) waitEvent(t *testing.T, typ string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if e := b.findEvent(typ); e != nil {
			return e
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("baresip event %s not seen in %s; events: %v\noutput:\n%s", typ, timeout, b.eventTypes(), b.output())
	return nil
}

func (b *baresip) findEvent(typ string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

func (b *baresip) eventTypes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ts []string
	for _, e := range b.events {
		ts = append(ts, fmt.Sprint(e["type"], " ", e["param"]))
	}
	return ts
}

// recordings returns the decoded-audio WAV files sndfile wrote.
func (b *baresip) recordings() []string {
	files, _ := filepath.Glob(filepath.Join(b.dir, "rec", "*.wav"))
	return files
}

// stopProcess sends SIGTERM, then SIGKILL after 2 s, and reaps.
func stopProcess(cmd *exec.Cmd) {
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeToneWAV writes a 16-bit mono sine WAV.
func writeToneWAV(path string, rate int, freq, amp float64, d time.Duration) error {
	n := int(d.Seconds() * float64(rate))
	data := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	var h bytes.Buffer
	h.WriteString("RIFF")
	_ = binary.Write(&h, binary.LittleEndian, uint32(36+len(data)))
	h.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&h, binary.LittleEndian, v)
	}
	h.WriteString("data")
	_ = binary.Write(&h, binary.LittleEndian, uint32(len(data)))
	h.Write(data)
	return os.WriteFile(path, h.Bytes(), 0o644)
}

// readWAV returns the samples and rate of a 16-bit PCM WAV.
func readWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" {
		return nil, 0, fmt.Errorf("%s: not a WAV", path)
	}
	rate := 0
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			pcm := make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		off += 8 + size + size%2
	}
	return nil, 0, fmt.Errorf("%s: no data chunk", path)
}

// toneDB is the Goertzel power of freq in pcm at rate, dB re full scale.
func toneDB(pcm []int16, rate int, freq float64) float64 {
	if len(pcm) == 0 {
		return -200
	}
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + k*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 20 * math.Log10(math.Max(2*math.Sqrt(math.Max(power, 0))/float64(len(pcm)), 1e-10))
}
