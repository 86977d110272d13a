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
package e2e
