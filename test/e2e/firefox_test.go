package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// firefoxPath is the second browser the tests drive (Debian's firefox-esr).
const firefoxPath = "/usr/bin/firefox-esr"

// firefoxPrefs make a fresh profile quiet and testable: no first-run pages,
// updates, telemetry or safe-browsing lookups (nothing tries to reach the
// internet), fake camera and microphone without a permission prompt,
// autoplay allowed, background windows not throttled, and WebRTC allowed to
// use loopback addresses with plain (not mDNS-obfuscated) host candidates,
// which is all a test network namespace has.
var firefoxPrefs = map[string]any{
	"app.update.disabledForTesting":              true,
	"app.update.auto":                            false,
	"browser.shell.checkDefaultBrowser":          false,
	"browser.startup.page":                       0,
	"browser.startup.homepage":                   "about:blank",
	"browser.startup.homepage_override.mstone":   "ignore",
	"startup.homepage_welcome_url":               "about:blank",
	"startup.homepage_welcome_url.additional":    "",
	"browser.aboutwelcome.enabled":               false,
	"browser.newtabpage.enabled":                 false,
	"browser.safebrowsing.malware.enabled":       false,
	"browser.safebrowsing.phishing.enabled":      false,
	"browser.safebrowsing.blockedURIs.enabled":   false,
	"browser.safebrowsing.downloads.enabled":     false,
	"browser.safebrowsing.update.enabled":        false,
	"browser.search.update":                      false,
	"browser.region.update.enabled":              false,
	"browser.region.network.url":                 "",
	"browser.tabs.warnOnClose":                   false,
	"browser.warnOnQuit":                         false,
	"browser.sessionstore.resume_from_crash":     false,
	"browser.uitour.enabled":                     false,
	"datareporting.policy.dataSubmissionEnabled": false,
	"datareporting.healthreport.uploadEnabled":   false,
	"toolkit.telemetry.reportingpolicy.firstRun": false,
	"toolkit.telemetry.enabled":                  false,
	"toolkit.startup.max_resumed_crashes":        -1,
	"extensions.update.enabled":                  false,
	"extensions.getAddons.cache.enabled":         false,
	"extensions.blocklist.enabled":               false,
	"network.captive-portal-service.enabled":     false,
	"network.connectivity-service.enabled":       false,
	"network.dns.disablePrefetch":                true,
	"network.http.speculative-parallel-limit":    0,
	"network.proxy.type":                         0,
	"captivedetect.canonicalURL":                 "",
	"services.settings.server":                   "",
	"media.gmp-manager.updateEnabled":            false,
	"security.certerrors.mitm.priming.enabled":   false,
	"dom.disable_open_during_load":               false,
	"dom.max_script_run_time":                    0,
	"dom.min_background_timeout_value":           4,
	"dom.timeout.enable_budget_timer_throttling": false,
	"media.navigator.streams.fake":               true,
	"media.navigator.permission.disabled":        true,
	// Several windows of one process share one focus; Firefox holds back
	// enumerateDevices and getUserMedia of unfocused documents until they
	// get focus, which a second test user's window never would.
	"media.devices.unfocused.enabled": true,
	"media.autoplay.default":          0,
	"media.autoplay.blocking_policy":  0,
	"media.autoplay.block-webaudio":   false,
	// No sound card here: without an audio device Web Audio never starts
	// (AudioContext.resume() never resolves), so cubeb gets its mock
	// device, which plays in real time to nowhere.
	"media.cubeb.force_mock_context":                             true,
	"media.suspend-bkgnd-video.enabled":                          false,
	"media.peerconnection.ice.loopback":                          true,
	"media.peerconnection.ice.obfuscate_host_addresses":          false,
	"remote.active-protocols":                                    1, // WebDriver BiDi only
	"privacy.trackingprotection.enabled":                         false,
	"browser.contentblocking.report.lockwise.enabled":            false,
	"browser.ping-centre.telemetry":                              false,
	"general.useragent.updates.enabled":                          false,
	"browser.translations.automaticallyPopup":                    false,
	"browser.discovery.enabled":                                  false,
	"browser.newtabpage.activity-stream.feeds.system.topstories": false,
}

// firefoxProcess is the one Firefox ESR the test binary shares: starting it
// takes seconds, so every Firefox "browser" of every test is a user context
// (its own cookies and storage, like a separate profile) and a window of
// this process. It is started on first use and stopped by TestMain.
type firefoxProcess struct {
	cmd     *exec.Cmd
	profile string
	conn    *bidiConn
	exited  chan struct{}
	stderr  *tailBuffer

	mu    sync.Mutex
	sinks map[string]func(string) // browsing context → console sink
}

var (
	firefoxMu     sync.Mutex
	sharedFirefox *firefoxProcess
)

// TestMain stops the shared Firefox once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	firefoxMu.Lock()
	if sharedFirefox != nil {
		sharedFirefox.stop()
		sharedFirefox = nil
	}
	if removeRoute != nil {
		removeRoute()
	}
	firefoxMu.Unlock()
	os.Exit(code)
}

// removeRoute undoes ensureDefaultRoute (nil when it added nothing).
var removeRoute func()

// ensureDefaultRoute gives a loopback-only network namespace (heavy.sh,
// scripts/test.sh) a default route over lo. Firefox offers ICE candidates
// only for its default route's address until it counts the page as
// capturing, which it never does for fake devices; without a default route
// it gathers no candidate at all ("ICE failed, add a STUN server"). The
// route sends nothing anywhere: lo is the only interface. Called with
// firefoxMu held.
func ensureDefaultRoute() error {
	if removeRoute != nil {
		return nil
	}
	out, err := exec.Command("ip", "-4", "route", "show", "default").Output()
	if err != nil {
		return fmt.Errorf("ip route: %w", err)
	}
	if strings.TrimSpace(string(out)) != "" {
		return nil // a real network: Firefox finds its default address
	}
	route := []string{"default", "dev", "lo", "src", "127.0.0.1"}
	if out, err := exec.Command("ip", append([]string{"-4", "route", "add"}, route...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("no default route, and adding one over lo failed (%v: %s): Firefox would gather no ICE candidates; run as root in a network namespace (scripts/test.sh, heavy.sh)", err, out)
	}
	removeRoute = func() {
		_ = exec.Command("ip", append([]string{"-4", "route", "del"}, route...)...).Run()
	}
	return nil
}

// theFirefox returns the running shared Firefox, starting it (again, if it
// died) when needed.
func theFirefox(t *testing.T) *firefoxProcess {
	t.Helper()
	firefoxMu.Lock()
	defer firefoxMu.Unlock()
	if sharedFirefox != nil && sharedFirefox.alive() {
		return sharedFirefox
	}
	if sharedFirefox != nil {
		t.Logf("the shared Firefox died; starting a new one. Its last output:\n%s", sharedFirefox.stderr)
		sharedFirefox.stop()
		sharedFirefox = nil
	}
	if err := ensureDefaultRoute(); err != nil {
		t.Fatalf("preparing the network for Firefox: %v", err)
	}
	start := time.Now()
	ff, err := startFirefox()
	if err != nil {
		t.Fatalf("starting Firefox ESR: %v", err)
	}
	t.Logf("Firefox ESR started in %v (shared by the following tests)", time.Since(start).Round(time.Millisecond))
	sharedFirefox = ff
	return ff
}

// bidiListening is what Firefox prints once its BiDi server listens.
var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// startFirefox launches headless Firefox ESR on a fresh profile with a
// BiDi server on a free port, and opens a session.
func startFirefox() (*firefoxProcess, error) {
	profile, err := os.MkdirTemp("", "xphone-e2e-firefox-")
	if err != nil {
		return nil, err
	}
	if err := writeFirefoxPrefs(profile); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	cmd := exec.Command(firefoxPath, "--headless", "--no-remote", "--new-instance",
		"--profile", profile, "--remote-debugging-port", "0", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_DISABLE_AUTO_SAFE_MODE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // content processes die with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	ff := &firefoxProcess{cmd: cmd, profile: profile, exited: make(chan struct{}), stderr: &tailBuffer{max: 64 << 10},
		sinks: map[string]func(string){}}
	urlCh := make(chan string, 1)
	go ff.readStderr(stderr, urlCh)
	go func() {
		_ = cmd.Wait()
		close(ff.exited)
	}()
	var url string
	select {
	case url = <-urlCh:
	case <-ff.exited:
		ff.stop()
		return nil, fmt.Errorf("firefox exited before listening:\n%s", ff.stderr)
	case <-time.After(launchTimeout):
		ff.stop()
		return nil, fmt.Errorf("no BiDi server within %v:\n%s", launchTimeout, ff.stderr)
	}
	if err := ff.openSession(url); err != nil {
		ff.stop()
		return nil, fmt.Errorf("%w\n%s", err, ff.stderr)
	}
	return ff, nil
}

// writeFirefoxPrefs writes firefoxPrefs as the profile's user.js.
func writeFirefoxPrefs(profile string) error {
	var b strings.Builder
	for k, v := range firefoxPrefs {
		val, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, val)
	}
	return os.WriteFile(filepath.Join(profile, "user.js"), []byte(b.String()), 0o644)
}

// readStderr keeps Firefox's output for failure reports and reports the
// BiDi URL once it shows up.
func (ff *firefoxProcess) readStderr(r io.Reader, urlCh chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		ff.stderr.add(line)
		if m := bidiListening.FindStringSubmatch(line); m != nil && !sent {
			urlCh <- m[1]
			sent = true
		}
	}
}

// openSession connects to the BiDi server, starts a session that accepts
// the server's self-signed certificate, and subscribes to console output.
func (ff *firefoxProcess) openSession(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), launchTimeout)
	defer cancel()
	conn, err := dialBiDi(ctx, strings.TrimSuffix(url, "/")+"/session", ff.onEvent)
	if err != nil {
		return err
	}
	ff.conn = conn
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"acceptInsecureCerts": true,
	}}}
	if err := conn.call(ctx, "session.new", caps, nil); err != nil {
		return err
	}
	return conn.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil)
}

// onEvent passes console messages and page errors to their page's sink.
func (ff *firefoxProcess) onEvent(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Type   string  `json:"type"`
		Level  string  `json:"level"`
		Text   string  `json:"text"`
		Time   float64 `json:"timestamp"`
		Source struct {
			Context string `json:"context"`
		} `json:"source"`
		StackTrace *struct {
			CallFrames []struct {
				URL  string `json:"url"`
				Line int    `json:"lineNumber"`
			} `json:"callFrames"`
		} `json:"stackTrace"`
	}
	if json.Unmarshal(params, &e) != nil {
		return
	}
	ff.mu.Lock()
	sink := ff.sinks[e.Source.Context]
	ff.mu.Unlock()
	if sink == nil {
		return
	}
	at := time.UnixMilli(int64(e.Time)).Format("15:04:05.000")
	line := fmt.Sprintf("%s %s %s: %s", at, e.Type, e.Level, e.Text)
	if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
		f := e.StackTrace.CallFrames[0]
		line += fmt.Sprintf(" (at %s:%d)", f.URL, f.Line)
	}
	sink(line)
}

func (ff *firefoxProcess) alive() bool {
	select {
	case <-ff.exited:
		return false
	default:
	}
	return ff.conn != nil && ff.conn.closedErrIfAny() == nil
}

// stop ends Firefox (its whole process group) and removes the profile.
func (ff *firefoxProcess) stop() {
	if ff.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = ff.conn.call(ctx, "browser.close", map[string]any{}, nil)
		cancel()
		ff.conn.close()
	}
	if ff.cmd.Process != nil {
		select {
		case <-ff.exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-ff.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-ff.exited:
			case <-time.After(2 * time.Second):
				_ = syscall.Kill(-ff.cmd.Process.Pid, syscall.SIGKILL)
				<-ff.exited
			}
		}
		// Content processes that outlived the parent.
		_ = syscall.Kill(-ff.cmd.Process.Pid, syscall.SIGKILL)
	}
	os.RemoveAll(ff.profile)
}

// firefoxPage is one Firefox "browser" of a test: a user context (its own
// cookies and storage) with one window, or a second window in the same
// user context (secondTab).
type firefoxPage struct {
	ff          *firefoxProcess
	userContext string
	context     string
	ownsUser    bool // the first page of a user context removes it on close

	closeOnce sync.Once
}

// newFirefoxPage opens a window in a new user context, or in userContext
// when it is not empty; console lines go to sink.
func newFirefoxPage(ff *firefoxProcess, userContext string, sink func(string)) (*firefoxPage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), launchTimeout)
	defer cancel()
	p := &firefoxPage{ff: ff, userContext: userContext}
	if userContext == "" {
		var uc struct {
			UserContext string `json:"userContext"`
		}
		if err := ff.conn.call(ctx, "browser.createUserContext", map[string]any{}, &uc); err != nil {
			return nil, err
		}
		p.userContext, p.ownsUser = uc.UserContext, true
	}
	var created struct {
		Context string `json:"context"`
	}
	// A window, not a tab: every page is in the foreground, so its timers
	// and video are not throttled like a background tab's.
	err := ff.conn.call(ctx, "browsingContext.create", map[string]any{"type": "window", "userContext": p.userContext}, &created)
	if err != nil {
		p.removeUserContext()
		return nil, err
	}
	p.context = created.Context
	ff.mu.Lock()
	ff.sinks[p.context] = sink
	ff.mu.Unlock()
	return p, nil
}

func (p *firefoxPage) removeUserContext() {
	if !p.ownsUser {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.ff.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": p.userContext}, nil)
}

func (p *firefoxPage) stepContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), timeout)
}

func (p *firefoxPage) evaluate(ctx context.Context, expr string) ([]byte, error) {
	return p.ff.conn.evaluateJSON(ctx, p.context, expr)
}

func (p *firefoxPage) addScript(ctx context.Context, js string) error {
	return p.ff.conn.call(ctx, "script.addPreloadScript", map[string]any{
		"functionDeclaration": "() => {\n" + js + "\n}",
		"contexts":            []string{p.context},
	}, nil)
}

func (p *firefoxPage) navigate(ctx context.Context, url string) error {
	return p.ff.conn.call(ctx, "browsingContext.navigate", map[string]any{
		"context": p.context, "url": url, "wait": "complete",
	}, nil)
}

func (p *firefoxPage) pointer(ctx context.Context, x, y float64, click bool) error {
	actions := []map[string]any{{"type": "pointerMove", "x": int(x + 0.5), "y": int(y + 0.5)}}
	if click {
		actions = append(actions, map[string]any{"type": "pointerDown", "button": 0},
			map[string]any{"type": "pointerUp", "button": 0})
	}
	return p.ff.conn.call(ctx, "input.performActions", map[string]any{
		"context": p.context,
		"actions": []map[string]any{{
			"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
			"actions": actions,
		}},
	}, nil)
}

func (p *firefoxPage) mouseMove(ctx context.Context, x, y float64) error {
	return p.pointer(ctx, x, y, false)
}

func (p *firefoxPage) mouseClick(ctx context.Context, x, y float64) error {
	return p.pointer(ctx, x, y, true)
}

// webdriverKeys maps the control characters the tests type to WebDriver's
// key codes (Backspace, Tab, Enter, Escape).
var webdriverKeys = map[rune]string{'\b': "\uE003", '\t': "\uE004", '\r': "\uE007", '\n': "\uE007", '\u001b': "\uE00C"}

func (p *firefoxPage) typeKeys(ctx context.Context, keys string) error {
	var actions []map[string]any
	for _, r := range keys {
		k := string(r)
		if w, ok := webdriverKeys[r]; ok {
			k = w
		}
		actions = append(actions, map[string]any{"type": "keyDown", "value": k}, map[string]any{"type": "keyUp", "value": k})
	}
	return p.ff.conn.call(ctx, "input.performActions", map[string]any{
		"context": p.context,
		"actions": []map[string]any{{"type": "key", "id": "keyboard", "actions": actions}},
	}, nil)
}

func (p *firefoxPage) screenshot(ctx context.Context) ([]byte, error) {
	var shot struct {
		Data string `json:"data"`
	}
	if err := p.ff.conn.call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": p.context}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

func (p *firefoxPage) setViewport(ctx context.Context, w, h int64) error {
	return p.ff.conn.call(ctx, "browsingContext.setViewport", map[string]any{
		"context": p.context, "viewport": map[string]int64{"width": w, "height": h},
	}, nil)
}

// close closes the window, as a user closing it would.
func (p *firefoxPage) close() {
	p.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.ff.conn.call(ctx, "browsingContext.close", map[string]any{"context": p.context, "promptUnload": false}, nil)
		p.ff.mu.Lock()
		delete(p.ff.sinks, p.context)
		p.ff.mu.Unlock()
	})
}

// release closes the window and, for the first page of a user context,
// removes the context with its cookies and storage (the end of a test).
func (p *firefoxPage) release() {
	p.close()
	p.removeUserContext()
}

// tailBuffer keeps the last max bytes of a process's output.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, line...)
	b.buf = append(b.buf, '\n')
	if len(b.buf) > b.max {
		b.buf = b.buf[len(b.buf)-b.max:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
