package e2e

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// engine names the browser a test page runs in.
type engine string

const (
	chromium engine = "chromium" // Debian's chromium, over the DevTools protocol (chromedp)
	firefox  engine = "firefox"  // Debian's firefox-esr, over WebDriver BiDi (bidi_test.go)
)

// engines is every browser the suite runs in; tables over backends range
// over it.
var engines = []engine{chromium, firefox}

// enginePairs is every (caller, callee) pair of browsers.
var enginePairs = [][2]engine{{chromium, chromium}, {firefox, chromium}, {chromium, firefox}, {firefox, firefox}}

// pairName names a subtest by its browsers, e.g. "firefox-to-chromium".
func pairName(p [2]engine) string { return string(p[0]) + "-to-" + string(p[1]) }

// pageDriver is what the browser type needs of a backend: one page
// (tab or window) of one browser. Every call is bounded by ctx, which comes
// from stepContext.
type pageDriver interface {
	// stepContext bounds one step on this page.
	stepContext(timeout time.Duration) (context.Context, context.CancelFunc)
	// evaluate runs a JavaScript expression, awaits a promise result, and
	// returns the value as JSON.
	evaluate(ctx context.Context, expr string) ([]byte, error)
	// addScript runs js in every new document of the page before its scripts.
	addScript(ctx context.Context, js string) error
	// navigate loads url and waits for the load event.
	navigate(ctx context.Context, url string) error
	mouseMove(ctx context.Context, x, y float64) error
	mouseClick(ctx context.Context, x, y float64) error
	// typeKeys types text into the focused element; \b is Backspace, \r
	// Enter, \x1b Escape.
	typeKeys(ctx context.Context, keys string) error
	screenshot(ctx context.Context) ([]byte, error)
	setViewport(ctx context.Context, w, h int64) error
	// close closes the page as a user closing it would.
	close()
}

// chromiumPage drives one Chromium tab through chromedp.
type chromiumPage struct {
	tab    context.Context // the tab; has no deadline
	cancel context.CancelFunc
}

func (p *chromiumPage) stepContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.tab, timeout)
}

func (p *chromiumPage) evaluate(ctx context.Context, expr string) ([]byte, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
}

func (p *chromiumPage) addScript(ctx context.Context, js string) error {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
	return err
}

func (p *chromiumPage) navigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

func (p *chromiumPage) mouseMove(ctx context.Context, x, y float64) error {
	return chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y))
}

func (p *chromiumPage) mouseClick(ctx context.Context, x, y float64) error {
	return chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.MouseClickXY(x, y))
}

func (p *chromiumPage) typeKeys(ctx context.Context, keys string) error {
	return chromedp.Do(ctx, chromedp.KeyEvent(keys))
}

func (p *chromiumPage) screenshot(ctx context.Context) ([]byte, error) {
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

func (p *chromiumPage) setViewport(ctx context.Context, w, h int64) error {
	return chromedp.Do(ctx, chromedp.EmulateViewport(w, h))
}

func (p *chromiumPage) close() { p.cancel() }
