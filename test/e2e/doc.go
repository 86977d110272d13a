// Package e2e holds Xphone's end-to-end tests: the real server started in
// process, driven by real headless Chromium browsers (chromedp) with fake
// cameras and microphones, one browser per party.
//
// Run them with
//
//	go test -race -count=1 -v ./test/e2e/
//
// They need /usr/bin/chromium (install it with scripts/install-deps.sh) and are
// skipped with -short. Failure artifacts (screenshots, console logs) go to
// $XPHONE_E2E_ARTIFACTS, or to a temporary directory named in the test log.
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
