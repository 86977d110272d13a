// Package e2e holds Xphone's end-to-end tests: the real server started in
// process, driven by real headless browsers with fake cameras and
// microphones, one browser per party: Chromium over the DevTools protocol
// (chromedp), and Firefox ESR over WebDriver BiDi (a small client in
// bidi_test.go). The browser type hides which one a page runs in, so a
// scenario runs in either (inFirefox(), inEngine(e)); tables over engines
// run the same scenario in both, and mixed ones have the two browsers call
// each other. Every Firefox page of the run is a user context (own cookies
// and storage) of one shared Firefox process, started on first use.
//
// Run them with
//
//	go test -race -count=1 -v ./test/e2e/
//
// They need /usr/bin/chromium and /usr/bin/firefox-esr (install them with
// scripts/install-deps.sh) and are skipped with -short. Failure artifacts
// (screenshots, console logs) go to $XPHONE_E2E_ARTIFACTS, or to a
// temporary directory named in the test log.
//
// Firefox in a network namespace with only loopback gathers no ICE
// candidate unless there is a default route (it offers only its default
// address while the page does not count as capturing, which fake devices
// never do): the tests add "default dev lo src 127.0.0.1" for their run
// when there is none, which needs root (scripts/test.sh and heavy runs are
// root in their own namespace).
//
// In CI they run in a private network namespace with only loopback:
//
//	unshare -n bash -c 'ip link set lo up && go test -race -count=1 -v ./test/e2e/'
//
// The conference tests give every browser its own fake microphone (a WAV
// tone or silence) and camera (a Y4M clip in its own colour), both written
// by the test, so they can tell who speaks and whose video a tile plays.
// XPHONE_SCREENSHOTS=DIR saves pictures of every screen (TestScreenshots,
// TestConferenceScreenshots).
package e2e
