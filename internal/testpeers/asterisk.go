package testpeers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrNoAsteriskKit: the Asterisk kit (../shared/asterisk next to the
// repository or one of its parents) is not on this machine, as in a
// user's clone. CI and the team's machines have it.
var ErrNoAsteriskKit = errors.New("testpeers: no Asterisk kit (shared/asterisk next to the repository)")

// AsteriskKitEnv overrides where the kit is looked for.
const AsteriskKitEnv = "XPHONE_ASTERISK_KIT"

// FindAsteriskKit returns the directory of the Asterisk kit: $XPHONE_ASTERISK_KIT,
// else the first shared/asterisk (holding asterisk.sh) beside the module
// root or one of its parents, walking up from the module root.
func FindAsteriskKit() (string, error) {
	if d := os.Getenv(AsteriskKitEnv); d != "" {
		if _, err := os.Stat(filepath.Join(d, "asterisk.sh")); err != nil {
			return "", fmt.Errorf("%s=%s: %w", AsteriskKitEnv, d, err)
		}
		return d, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		kit := filepath.Join(dir, "shared", "asterisk")
		if _, err := os.Stat(filepath.Join(kit, "asterisk.sh")); err == nil {
			return kit, nil
		}
		if dir == filepath.Dir(dir) {
			return "", ErrNoAsteriskKit
		}
	}
}

// moduleRoot is the directory of the go.mod above the working directory
// (go test runs in the package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if dir == filepath.Dir(dir) {
			return "", errors.New("testpeers: no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
}

// AsteriskOptions configure StartAsterisk; zero fields take the kit's defaults.
type AsteriskOptions struct {
	Dir      string // state directory (required): etc/, log/, recordings/
	SIPAddr  string // 127.x address of SIP and RTP; default 127.0.0.2
	SIPPort  string // UDP and TCP port; default 5062
	RTPStart int    // RTP port range; default 31000–31999
	RTPEnd   int
	// SIPDebug logs every SIP message to log/messages.log (the tests
	// read it to check what went over the wire).
	SIPDebug bool
}

// Asterisk is a running Asterisk of the kit (asterisk.sh run: the test owns
// the process). Every method is safe to call from several goroutines.
type Asterisk struct {
	Kit, Dir string
	SIP      string // host:port, UDP and TCP
	Addr     string // SIP and media IP
	env      []string
	cmd      *exec.Cmd
	exited   chan struct{}
	out      *lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for a writer and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartAsterisk renders the kit's configuration into o.Dir and runs Asterisk
// in the foreground as a child, returning once it is fully booted.
func StartAsterisk(kit string, o AsteriskOptions) (*Asterisk, error) {
	if o.SIPAddr == "" {
		o.SIPAddr = "127.0.0.2"
	}
	if o.SIPPort == "" {
		o.SIPPort = "5062"
	}
	if o.RTPStart == 0 {
		o.RTPStart, o.RTPEnd = 31000, 31999
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	a := &Asterisk{Kit: kit, Dir: o.Dir, Addr: o.SIPAddr, SIP: o.SIPAddr + ":" + o.SIPPort, out: &lockedBuffer{}, exited: make(chan struct{})}
	a.env = append(os.Environ(), "XPHONE_AST_DIR="+o.Dir, "XPHONE_AST_SIP_ADDR="+o.SIPAddr,
		"XPHONE_AST_SIP_PORT="+o.SIPPort, fmt.Sprintf("XPHONE_AST_RTP_START=%d", o.RTPStart),
		fmt.Sprintf("XPHONE_AST_RTP_END=%d", o.RTPEnd), "XPHONE_AST_SIP_DEBUG="+yesNo(o.SIPDebug))
	a.cmd = exec.Command(filepath.Join(kit, "asterisk.sh"), "run", o.Dir)
	a.cmd.Env = a.env
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		return nil, fmt.Errorf("testpeers: asterisk.sh run: %w", err)
	}
	go func() { _ = a.cmd.Wait(); close(a.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := a.CLI("core waitfullybooted"); err == nil {
			return a, nil
		}
		select {
		case <-a.exited:
			return nil, fmt.Errorf("testpeers: Asterisk exited while booting in %s:\n%s\n%s", o.Dir, a.out, a.tailLog(30))
		default:
		}
		if time.Now().After(deadline) {
			a.Stop()
			return nil, fmt.Errorf("testpeers: Asterisk did not boot in %s:\n%s\n%s", o.Dir, a.out, a.tailLog(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CLI runs one CLI command (asterisk -rx) and returns its output.
func (a *Asterisk) CLI(command string) (string, error) {
	cmd := exec.Command(filepath.Join(a.Kit, "asterisk.sh"), "cli", command)
	cmd.Env = a.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testpeers: asterisk cli %q: %w: %s", command, err, out)
	}
	return string(out), nil
}

// DB reads key of the astdb family "xphone" (where the kit's dial plan
// writes its results), "" if unset.
func (a *Asterisk) DB(key string) string {
	out, err := a.CLI("database get xphone " + key)
	if err != nil {
		return ""
	}
	_, v, ok := strings.Cut(out, "Value: ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// SetDB writes key of family "xphone" (e.g. to reset a result).
func (a *Asterisk) SetDB(key, value string) error {
	_, err := a.CLI("database put xphone " + key + " " + value)
	return err
}

// WaitDB waits until key of family "xphone" holds a value other than
// "", "WAITING" and skip, and returns it ("" after timeout).
func (a *Asterisk) WaitDB(key, skip string, timeout time.Duration) string {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if v := a.DB(key); v != "" && v != "WAITING" && v != skip {
			return v
		}
	}
	return ""
}

// Originate runs "channel originate DEST extension TARGET".
func (a *Asterisk) Originate(dest, target string) error {
	_, err := a.CLI("channel originate " + dest + " extension " + target)
	return err
}

// AddConfig appends text to etc/file (pjsip.conf, extensions.conf,
// confbridge.conf …) and reloads the module that reads it.
func (a *Asterisk) AddConfig(file, text string) error {
	f, err := os.OpenFile(filepath.Join(a.Dir, "etc", file), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("\n" + text + "\n"); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	reload := map[string]string{
		"pjsip.conf": "module reload res_pjsip.so", "extensions.conf": "dialplan reload",
		"confbridge.conf": "module reload app_confbridge.so",
	}[file]
	if reload == "" {
		reload = "core reload"
	}
	_, err = a.CLI(reload)
	return err
}

// Log is the whole of log/messages.log.
func (a *Asterisk) Log() string {
	b, _ := os.ReadFile(filepath.Join(a.Dir, "log", "messages.log"))
	return string(b)
}

// LogSize is the current length of messages.log, to search only what a
// test step added (LogSince).
func (a *Asterisk) LogSize() int {
	st, err := os.Stat(filepath.Join(a.Dir, "log", "messages.log"))
	if err != nil {
		return 0
	}
	return int(st.Size())
}

// LogSince is messages.log from offset on.
func (a *Asterisk) LogSince(offset int) string {
	l := a.Log()
	if offset > len(l) {
		return ""
	}
	return l[offset:]
}

// WaitLog waits until messages.log after offset matches re and returns the
// first match ("" after timeout).
func (a *Asterisk) WaitLog(offset int, re *regexp.Regexp, timeout time.Duration) string {
	for end := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if m := re.FindString(a.LogSince(offset)); m != "" {
			return m
		}
		if time.Now().After(end) {
			return ""
		}
	}
}

func (a *Asterisk) tailLog(n int) string {
	lines := strings.Split(strings.TrimRight(a.Log(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Channels is the number of active channels.
func (a *Asterisk) Channels() int {
	out, err := a.CLI("core show channels count")
	if err != nil {
		return -1
	}
	var n int
	for _, l := range strings.Split(out, "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(l), "%d active channel", &n); err == nil {
			return n
		}
	}
	return 0
}

// Stop stops Asterisk (core stop now, then SIGTERM/SIGKILL) and reaps it.
func (a *Asterisk) Stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	select {
	case <-a.exited:
		return
	default:
	}
	_, _ = a.CLI("core stop now")
	select {
	case <-a.exited:
	case <-time.After(5 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

// Output is what Asterisk printed on its console (warnings and errors).
func (a *Asterisk) Output() string { return a.out.String() }

// Guide is the configuration snippets of docs/asterisk.md: its fenced ini
// and yaml blocks by the file their first line names ("; pjsip.conf: …",
// "# xphone.yaml: …"), in order. Tests load them into the kit's Asterisk
// and the product, so the guide cannot drift from what works.
type Guide map[string][]string

// ReadGuide reads the snippets of the guide at path.
func ReadGuide(path string) (Guide, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g := Guide{}
	re := regexp.MustCompile("(?ms)^```(?:ini|yaml)\n(.*?)^```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		first, _, _ := strings.Cut(m[1], "\n")
		if f := strings.Fields(strings.TrimLeft(first, ";# ")); len(f) > 0 {
			name := strings.TrimSuffix(f[0], ":")
			g[name] = append(g[name], m[1])
		}
	}
	for _, want := range []string{"pjsip.conf", "extensions.conf", "xphone.yaml"} {
		if len(g[want]) == 0 {
			return nil, fmt.Errorf("testpeers: %s has no %s snippet", path, want)
		}
	}
	return g, nil
}

// Snippet is the one block of file whose first line contains title.
func (g Guide) Snippet(file, title string) (string, error) {
	for _, s := range g[file] {
		first, _, _ := strings.Cut(s, "\n")
		if strings.Contains(first, title) {
			return s, nil
		}
	}
	return "", fmt.Errorf("testpeers: the guide has no %s snippet titled %q", file, title)
}

// LoadGuide appends every pjsip.conf, extensions.conf and confbridge.conf
// snippet of g to the running Asterisk's configuration and reloads it.
// Endpoints that inherit the guide's xphone-common template also bind
// their RTP to the kit's address: the kit's Asterisk offers ICE candidates
// only for RTP sockets bound to a 127.x address (kit patch 0001), which an
// administrator's Asterisk does not need.
func (a *Asterisk) LoadGuide(g Guide) error {
	for _, file := range []string{"pjsip.conf", "extensions.conf", "confbridge.conf"} {
		for _, block := range g[file] {
			if file == "pjsip.conf" {
				block = a.BindMedia(block)
			}
			if err := a.AddConfig(file, block); err != nil {
				return err
			}
		}
	}
	return nil
}

// BindMedia adds media_address (the kit's address) and
// bind_rtp_to_media_address to every endpoint section of block that
// inherits the guide's xphone-common template.
func (a *Asterisk) BindMedia(block string) string {
	return regexp.MustCompile(`(?m)^\[[^\]]+\]\(xphone-common[^)]*\)$`).ReplaceAllString(block,
		"$0\nmedia_address = "+a.Addr+"\nbind_rtp_to_media_address = yes")
}
