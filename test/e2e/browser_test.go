package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is the browser the tests drive (Debian's chromium package).
const chromiumPath = "/usr/bin/chromium"

// Timeouts for single steps. Each browser action gets its own deadline so a
// hung step fails with a clear message instead of eating the test timeout.
const (
	launchTimeout = 30 * time.Second
	stepTimeout   = 15 * time.Second
	pollInterval  = 50 * time.Millisecond
)

//go:embed testdata/page_helpers.js
var pageHelpersJS string

// noCameraJS hides every camera from the page: enumerateDevices drops
// "videoinput" entries and getUserMedia refuses video, as on a machine without
// a camera.
const noCameraJS = `(() => {
  const md = navigator.mediaDevices;
  if (!md) return;
  const enumerate = md.enumerateDevices.bind(md);
  md.enumerateDevices = async () => (await enumerate()).filter((d) => d.kind !== 'videoinput');
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => {
    if (c && c.video) throw new DOMException('Requested device not found', 'NotFoundError');
    return gum(c);
  };
})();`

// requireBrowser skips in -short mode and fails (never skips) when Chromium
// is missing, so a machine without it cannot pass the suite by accident.
func requireBrowser(t *testing.T) {
	t.Helper()
	requireEngine(t, chromium)
}

// requireEngine is requireBrowser for either browser.
func requireEngine(t *testing.T, e engine) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	path, name := chromiumPath, "Chromium"
	if e == firefox {
		path, name = firefoxPath, "Firefox ESR"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not found (%v): run scripts/install-deps.sh as root to install %s", path, err, name)
	}
}

// browser is one user's browser with one page that the test drives: a
// headless Chromium (its own process and profile, so its own cookies), or a
// user context of the shared headless Firefox ESR (its own cookies and
// storage too). The methods work the same in both.
type browser struct {
	t      *testing.T
	name   string
	engine engine
	page   pageDriver
	// ctx is the Chromium tab (nil in Firefox); it has no deadline, steps
	// derive their own.
	ctx context.Context
	// closeTab closes the tab (like a user closing it); the browser stays.
	closeTab context.CancelFunc
	// browserCtx (Chromium) or firefoxUser (Firefox) and opts open more tabs
	// in the same browser.
	browserCtx  context.Context
	firefoxUser string
	opts        launchOptions

	mu      sync.Mutex
	console []string
	closed  bool
}

// launchOptions tune newBrowser.
type launchOptions struct {
	engine        engine // "" is Chromium
	noCamera      bool
	width, height int64
	fakeAudio     string      // WAV file the fake microphone plays (looped)
	fakeVideo     string      // Y4M file the fake camera plays (looped)
	rawAudio      bool        // the UI asks for unprocessed audio (localStorage xphone.rawAudio=1)
	tone          *toneSpec   // the microphone plays this tone (a WAV in Chromium, Web Audio in Firefox)
	camera        *cameraSpec // the camera shows this picture (a Y4M in Chromium, a canvas in Firefox)
	locale        string      // the browser's language, e.g. "ru-RU" (default: the browser's, English)
	devices       int         // fake cameras (and the browser's fake microphones) when more than one
}

// launchOption is one option of newBrowser.
type launchOption func(*launchOptions)

// inEngine runs the browser in e (Chromium when not given).
func inEngine(e engine) launchOption { return func(o *launchOptions) { o.engine = e } }

// inFirefox runs the browser in Firefox ESR.
func inFirefox() launchOption { return inEngine(firefox) }

// withoutCamera makes the page believe there is no camera.
func withoutCamera() launchOption { return func(o *launchOptions) { o.noCamera = true } }

// withViewport sets the page's viewport size in CSS pixels.
func withViewport(w, h int64) launchOption {
	return func(o *launchOptions) { o.width, o.height = w, h }
}

// withFakeAudio makes the fake microphone play the 48 kHz 16-bit WAV file.
func withFakeAudio(file string) launchOption { return func(o *launchOptions) { o.fakeAudio = file } }

// withFakeVideo makes the fake camera play the Y4M file.
func withFakeVideo(file string) launchOption { return func(o *launchOptions) { o.fakeVideo = file } }

// withRawAudio sets localStorage xphone.rawAudio=1 before the UI loads, so it
// captures without echo cancellation, noise suppression and gain control and
// the RFC 6464 levels follow the fake microphone's file.
func withRawAudio() launchOption { return func(o *launchOptions) { o.rawAudio = true } }

// withLocale makes the browser's language locale (navigator.languages and
// Accept-Language), as a user's browser set to it.
func withLocale(locale string) launchOption { return func(o *launchOptions) { o.locale = locale } }

// withDevices gives the browser n fake cameras (it always has several fake
// microphones and speakers), for device choice.
func withDevices(n int) launchOption { return func(o *launchOptions) { o.devices = n } }

// rawAudioJS sets the UI's raw-audio flag in every document of the tab.
const rawAudioJS = `try { localStorage.setItem('xphone.rawAudio', '1'); } catch (e) {}`

// newBrowser starts Chromium with a fake camera and microphone and opens one
// tab. The browser is killed in t.Cleanup; on failure the tab's screenshot and
// console log are saved first.
func newBrowser(t *testing.T, name string, opts ...launchOption) *browser {
	t.Helper()
	lo := launchOptions{width: 1280, height: 800}
	for _, o := range opts {
		o(&lo)
	}
	if lo.engine == firefox {
		requireEngine(t, firefox)
		return openFirefoxPage(t, name, "", lo)
	}
	lo.engine = chromium
	requireBrowser(t)
	lo.writeMediaFiles(t, name)

	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(lo.width), int(lo.height)),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		// Loopback is all a test network namespace has; Chromium skips it for ICE unless told.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("password-store", "basic"),
	}
	if lo.fakeAudio != "" {
		flags = append(flags, chromedp.Flag("use-file-for-fake-audio-capture", lo.fakeAudio))
	}
	if lo.locale != "" {
		primary, _, _ := strings.Cut(lo.locale, "-")
		flags = append(flags, chromedp.Flag("lang", lo.locale), chromedp.Flag("accept-lang", lo.locale+","+primary))
	}
	if lo.devices > 1 {
		flags = append(flags, chromedp.Flag("use-fake-device-for-media-stream", fmt.Sprintf("device-count=%d", lo.devices)))
	}
	if lo.fakeVideo != "" {
		flags = append(flags, chromedp.Flag("use-file-for-fake-video-capture", lo.fakeVideo))
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), flags...)
	browserCtx, browserCancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		browserCancel()
		allocCancel()
	})

	firstRun(t, name+": starting Chromium", browserCtx, browserCancel)
	return openTab(t, name, browserCtx, lo)
}

// openTab opens a new tab in the browser of browserCtx with the test helpers
// (and the no-camera script when asked) installed.
func openTab(t *testing.T, name string, browserCtx context.Context, lo launchOptions) *browser {
	t.Helper()
	tabCtx, tabCancel := chromedp.NewContext(browserCtx)
	firstRun(t, name+": opening a tab", tabCtx, tabCancel)
	b := &browser{t: t, name: name, engine: chromium, page: &chromiumPage{tab: tabCtx, cancel: tabCancel},
		ctx: tabCtx, closeTab: tabCancel, browserCtx: browserCtx, opts: lo}
	b.collectConsole()
	t.Cleanup(b.dumpOnFailure) // runs before the browser is killed (cleanups are LIFO)
	b.preparePage()
	return b
}

// openFirefoxPage opens a window of the shared Firefox: in a new user
// context (a new user), or in userContext (another tab of the same user).
func openFirefoxPage(t *testing.T, name, userContext string, lo launchOptions) *browser {
	t.Helper()
	ff := theFirefox(t)
	b := &browser{t: t, name: name, engine: firefox, opts: lo}
	p, err := newFirefoxPage(ff, userContext, b.addConsole)
	if err != nil {
		t.Fatalf("%s: opening a Firefox window: %v", name, err)
	}
	b.page, b.firefoxUser, b.closeTab = p, p.userContext, p.close
	t.Cleanup(p.release)
	t.Cleanup(b.dumpOnFailure) // before the window closes (cleanups are LIFO)
	b.preparePage()
	return b
}

// preparePage installs the test helpers (and the no-camera, raw-audio and
// fake-media scripts when asked) and sets the viewport.
func (b *browser) preparePage() {
	b.t.Helper()
	b.addScript(pageHelpersJS)
	if b.opts.noCamera {
		b.addScript(noCameraJS)
	}
	if b.opts.rawAudio {
		b.addScript(rawAudioJS)
	}
	if js := b.opts.syntheticMediaJS(b.engine); js != "" {
		b.addScript(js)
	}
	b.setViewport(b.opts.width, b.opts.height)
}

// secondTab opens another tab in the same browser (same profile and cookies).
func (b *browser) secondTab(name string) *browser {
	b.t.Helper()
	if b.engine == firefox {
		return openFirefoxPage(b.t, name, b.firefoxUser, b.opts)
	}
	return openTab(b.t, name, b.browserCtx, b.opts)
}

// setViewport sets the page's viewport size in CSS pixels.
func (b *browser) setViewport(w, h int64) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	if err := b.page.setViewport(ctx, w, h); err != nil {
		b.t.Fatalf("%s: set viewport %dx%d: %v", b.name, w, h, err)
	}
}

// typeKeys types keys into the focused element (\b Backspace, \r Enter).
func (b *browser) typeKeys(what, keys string) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	if err := b.page.typeKeys(ctx, keys); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// firstRun runs the first (empty) action on a chromedp context. That call
// binds the browser or tab to the context it gets, so it cannot carry a
// deadline itself: it is bounded from the outside instead.
func firstRun(t *testing.T, what string, ctx context.Context, cancel context.CancelFunc) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(launchTimeout):
		cancel()
		t.Fatalf("%s: no answer within %v", what, launchTimeout)
	}
}

// collectConsole keeps the tab's console messages for failure reports.
func (b *browser) collectConsole() {
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s %s", m.Time.Format("15:04:05.000"), m.String())
			if m.Exception != nil && m.Stack != nil {
				line += fmt.Sprintf(" (at %s:%d)", m.URL, m.Line)
			}
			b.addConsole(line)
		}
	}()
}

// addConsole keeps one console line.
func (b *browser) addConsole(line string) {
	b.mu.Lock()
	b.console = append(b.console, line)
	b.mu.Unlock()
}

// consoleLog returns the console messages seen so far.
func (b *browser) consoleLog() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// artifactDir is where failure screenshots and logs go.
func artifactDir(t *testing.T) string {
	base := os.Getenv("XPHONE_E2E_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "xphone-e2e")
	}
	safe := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	return filepath.Join(base, safe)
}

// dumpOnFailure logs the console and saves a screenshot when the test failed.
func (b *browser) dumpOnFailure() {
	t := b.t
	if !t.Failed() {
		return
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	t.Logf("---- %s (%s): browser console ----\n%s", b.name, b.engine, strings.Join(b.consoleLog(), "\n"))
	if closed {
		return
	}
	ctx, cancel := b.page.stepContext(5 * time.Second)
	defer cancel()
	if desc, err := b.page.evaluate(ctx, `window.__xpt ? window.__xpt.describe() : null`); err == nil {
		t.Logf("---- %s: page ----\n%s", b.name, desc)
	}
	png, err := b.page.screenshot(ctx)
	if err != nil {
		t.Logf("%s: no screenshot: %v", b.name, err)
		return
	}
	dir := artifactDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("%s: %v", b.name, err)
		return
	}
	file := filepath.Join(dir, b.name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("%s: %v", b.name, err)
		return
	}
	t.Logf("%s: screenshot saved to %s", b.name, file)
}

// close closes the tab, as a user closing it would.
func (b *browser) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.page.close()
}

// do runs chromedp actions with the step timeout and fails the test on
// error. It is Chromium-only: tests meant for both browsers use the
// methods of browser instead.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if b.engine == firefox {
		b.t.Fatalf("%s: %s: chromedp actions need Chromium; use the browser methods in Firefox", b.name, what)
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// addScript runs js in every new document of the tab, before the page's scripts.
func (b *browser) addScript(js string) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	if err := b.page.addScript(ctx, js); err != nil {
		b.t.Fatalf("%s: adding a script: %v", b.name, err)
	}
}

// navigate opens url and waits for the load event.
func (b *browser) navigate(url string) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	if err := b.page.navigate(ctx, url); err != nil {
		b.t.Fatalf("%s: navigate to %s: %v", b.name, url, err)
	}
}

// evalInto evaluates a JavaScript expression in the page (awaiting promises)
// and decodes its JSON value into out.
func (b *browser) evalInto(expr string, out any) error {
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	raw, err := b.page.evaluate(ctx, expr)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// eval is evalInto that fails the test on error.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	if err := b.evalInto(expr, out); err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, abbreviate(expr), err)
	}
}

// describe returns a short JSON picture of the page for failure messages.
func (b *browser) describe() string {
	var v json.RawMessage
	if err := b.evalInto(`window.__xpt ? window.__xpt.describe() : null`, &v); err != nil {
		return "(page not readable: " + err.Error() + ")"
	}
	return string(v)
}

// waitUntil polls the JavaScript predicate until it is truthy or the timeout
// ends, then fails with what and a picture of the page.
func (b *browser) waitUntil(what string, timeout time.Duration, predicate string) {
	b.t.Helper()
	if err := b.poll(timeout, predicate); err != nil {
		b.t.Fatalf("%s: %s: %v\npage: %s", b.name, what, err, b.describe())
	}
}

// poll is waitUntil without the failure: it returns an error on timeout.
func (b *browser) poll(timeout time.Duration, predicate string) error {
	deadline := time.Now().Add(timeout)
	expr := "!!(" + predicate + ")"
	var lastErr error
	for {
		var ok bool
		err := b.evalInto(expr, &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("not true within %v (last error: %w)", timeout, lastErr)
			}
			return fmt.Errorf("not true within %v", timeout)
		}
		time.Sleep(pollInterval)
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// jsRegExp turns a Go regexp into a JavaScript RegExp expression. Only the
// common subset is supported; a leading (?i) becomes the "i" flag.
func jsRegExp(re *regexp.Regexp) string {
	src, flags := re.String(), ""
	if rest, ok := strings.CutPrefix(src, "(?i)"); ok {
		src, flags = rest, "i"
	}
	return fmt.Sprintf("new RegExp(%s, %s)", js(src), js(flags))
}

// visible is the JavaScript test for a visible element with role and name.
func visible(role, name string) string {
	return fmt.Sprintf("window.__xpt && window.__xpt.find(%s, %s) !== null", js(role), js(name))
}

// roleText is the JavaScript expression for the text of the first visible
// element with role (empty when none).
func roleText(role string) string {
	return fmt.Sprintf("(window.__xpt && window.__xpt.text(%s)) || ''", js(role))
}

// waitVisible waits until an element with role and name is visible.
func (b *browser) waitVisible(role, name string, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("waiting for %s %q", role, name), timeout, visible(role, name))
}

// waitGone waits until no element with role and name is visible.
func (b *browser) waitGone(role, name string, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("waiting for %s %q to go away", role, name), timeout, "!("+visible(role, name)+")")
}

// isVisible reports whether an element with role and name is visible now.
func (b *browser) isVisible(role, name string) bool {
	b.t.Helper()
	var ok bool
	b.eval(visible(role, name), &ok)
	return ok
}

// text returns the text of the first visible element with role.
func (b *browser) text(role string) string {
	b.t.Helper()
	var s string
	b.eval(roleText(role), &s)
	return s
}

// waitText waits until the first visible element with role has text matching re.
func (b *browser) waitText(role string, re *regexp.Regexp, timeout time.Duration) string {
	b.t.Helper()
	pred := fmt.Sprintf("%s.test(%s)", jsRegExp(re), roleText(role))
	b.waitUntil(fmt.Sprintf("waiting for %s text matching %s", role, re), timeout, pred)
	return b.text(role)
}

// statusLog returns every text the role=status element has shown.
func (b *browser) statusLog() []string {
	b.t.Helper()
	var log []string
	b.eval(`window.__xpt ? window.__xpt.statusLog.slice() : []`, &log)
	return log
}

// waitStatusSeen waits until the status element has shown a text matching re
// at some point (even briefly).
func (b *browser) waitStatusSeen(re *regexp.Regexp, timeout time.Duration) {
	b.t.Helper()
	pred := fmt.Sprintf("window.__xpt && window.__xpt.statusLog.some((s) => %s.test(s))", jsRegExp(re))
	b.waitUntil(fmt.Sprintf("waiting for a status matching %s", re), timeout, pred)
}

// point is an element's centre in viewport coordinates.
type point struct {
	X, Y     float64
	Disabled bool
}

// center waits for a visible element with role and name and returns its centre.
func (b *browser) center(role, name string) point {
	b.t.Helper()
	b.waitVisible(role, name, stepTimeout)
	var p *point
	b.eval(fmt.Sprintf("window.__xpt.center(%s, %s)", js(role), js(name)), &p)
	if p == nil {
		b.t.Fatalf("%s: %s %q disappeared\npage: %s", b.name, role, name, b.describe())
	}
	return *p
}

// hover moves the mouse over the element with role and name.
func (b *browser) hover(role, name string) {
	b.t.Helper()
	p := b.center(role, name)
	b.mouse("hover "+name, p.X, p.Y, false)
}

// mouse moves the mouse to x, y (and clicks there when click is set).
func (b *browser) mouse(what string, x, y float64, click bool) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	var err error
	if click {
		err = b.page.mouseClick(ctx, x, y)
	} else {
		err = b.page.mouseMove(ctx, x, y)
	}
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// hoverText moves the mouse over the visible leaf element whose text is text.
func (b *browser) hoverText(text string) {
	b.t.Helper()
	var p *point
	b.eval(fmt.Sprintf(`(() => {
	  const el = [...document.querySelectorAll('body *')].find((e) =>
	    e.children.length === 0 && e.textContent.trim() === %s && window.__xpt.isVisible(e));
	  if (!el) return null;
	  const r = el.getBoundingClientRect();
	  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
	})()`, js(text)), &p)
	if p == nil {
		b.t.Fatalf("%s: no visible element with text %q\npage: %s", b.name, text, b.describe())
	}
	b.mouse("hover "+text, p.X, p.Y, false)
}

// click clicks the element with role and name like a user: the mouse moves
// there and presses, so overlays and hit-testing apply. It fails when the
// element is disabled.
func (b *browser) click(role, name string) {
	b.t.Helper()
	p := b.center(role, name)
	if p.Disabled {
		b.t.Fatalf("%s: %s %q is disabled\npage: %s", b.name, role, name, b.describe())
	}
	b.mouse("click "+name, p.X, p.Y, true)
}

// fill focuses the textbox with this name, clears it and types text.
func (b *browser) fill(name, text string) {
	b.t.Helper()
	b.waitVisible("textbox", name, stepTimeout)
	b.eval(fmt.Sprintf(`(() => { const el = window.__xpt.find('textbox', %s);
	  el.focus(); el.select(); return true; })()`, js(name)), nil)
	b.typeKeys("clear "+name, "\b")
	if text != "" {
		b.typeKeys("type into "+name, text)
	}
}

// press sends keys (e.g. "\r" for Enter) to the focused element.
func (b *browser) press(keys string) {
	b.t.Helper()
	b.typeKeys("press keys", keys)
}

// screenshot saves a PNG of the viewport to file.
func (b *browser) screenshot(file string) {
	b.t.Helper()
	ctx, cancel := b.page.stepContext(stepTimeout)
	defer cancel()
	png, err := b.page.screenshot(ctx)
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", b.name, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// abbreviate shortens JavaScript for error messages.
func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
