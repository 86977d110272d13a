package siptrunk

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/sfu"
)

// The suite's cells are independent calls on different Asterisk endpoints
// and mostly wait (tone detection windows, DTMF collection, hold answers),
// so they overlap: a bounded group of workers runs them as subtests.

// astCellsParallel is how many cells run at once. Measured with -race on
// the 2-core machine: at 3 the cells' figures (first audio, resume →
// audio) match one-by-one runs and their phase takes 25 s instead of 68 s;
// 5 (16 s) passed too; at 9 (10 s) first audio and resume took up to 2×
// longer, the machine's cores saturated. XPHONE_AST_PARALLEL overrides it
// (1 runs the cells one after another, as before).
const astCellsParallel = 3

// cellsParallel is the bound, astCellsParallel unless XPHONE_AST_PARALLEL
// holds a positive number.
func cellsParallel() int {
	if n, err := strconv.Atoi(os.Getenv("XPHONE_AST_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return astCellsParallel
}

// cellRun is one cell's subtest.
type cellRun struct {
	name string
	fn   func(t *testing.T)
}

// runCells runs every subtest of runs, at most limit at a time, and
// returns when all have ended. t.Run may be called from several
// goroutines; this function owns them and waits for each.
func runCells(t *testing.T, limit int, runs []cellRun) {
	t.Helper()
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			t.Run(r.name, r.fn)
		}()
	}
	wg.Wait()
}

// cellFigures are the cells' timing figures, written by parallel cells.
type cellFigures struct {
	mu  sync.Mutex
	got map[string][]string
}

func (f *cellFigures) set(name string, figures []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.got == nil {
		f.got = map[string][]string{}
	}
	f.got[name] = figures
}

func (f *cellFigures) get(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[name]
}

// cellNumbers are our two users of the i-th cell: 1i01 calls out, 1i02 is
// called by Asterisk (cell 0: 1001 and 1002; i < 10), so parallel cells
// never share an extension (astExtensions hands out a number's leg once).
func cellNumbers(i int) (caller, callee string) {
	return "1" + strconv.Itoa(i) + "01", "1" + strconv.Itoa(i) + "02"
}

// endpointChannels is the number of Asterisk's channels on endpoint
// (PJSIP/<endpoint>-<8 hex digits>), -1 if the CLI fails.
func (s *astSuite) endpointChannels(endpoint string) int {
	out, err := s.ast.CLI("core show channels concise")
	if err != nil {
		return -1
	}
	re := regexp.MustCompile(`^PJSIP/` + regexp.QuoteMeta(endpoint) + `-[0-9a-f]{8}!`)
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(strings.TrimSpace(l)) {
			n++
		}
	}
	return n
}

// hangupCell ends p's call on cell c and waits until Asterisk has no
// channel left on c's endpoint (other cells' calls may still be up). The
// call's channel must be counted first, so a miscount cannot pass.
func (s *astSuite) hangupCell(t *testing.T, c *astCell, p *party) {
	t.Helper()
	if n := s.endpointChannels(c.endpoint); n < 1 {
		t.Fatalf("Asterisk shows %d channels on %s during its call", n, c.endpoint)
	}
	_ = p.leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitUntil(t, 5*time.Second, "Asterisk's channels on "+c.endpoint+" gone", func() bool {
		return s.endpointChannels(c.endpoint) == 0
	})
}

// rtcpDebug turns Asterisk's RTCP debug on (a global switch) for the
// caller and returns the function that releases it; the switch goes off
// only when no parallel cell needs it any more.
func (s *astSuite) rtcpDebug(t *testing.T) (release func()) {
	t.Helper()
	s.rtcpMu.Lock()
	defer s.rtcpMu.Unlock()
	if s.rtcpUsers == 0 {
		if _, err := s.ast.CLI("rtcp set debug on"); err != nil {
			t.Fatalf("Asterisk's RTCP debug: %v", err)
		}
	}
	s.rtcpUsers++
	return func() {
		s.rtcpMu.Lock()
		defer s.rtcpMu.Unlock()
		if s.rtcpUsers--; s.rtcpUsers == 0 {
			_, _ = s.ast.CLI("rtcp set debug off")
		}
	}
}

// logCallID is Asterisk's call id (C-…, the tag of every log line of
// the call) of the call to the kit's extension exten from endpoint, found
// in the kit's XPHONE_CALL line after log offset since: with cells in
// parallel, a log line counts for a cell only with its own call's tag.
func (s *astSuite) logCallID(t *testing.T, since int, exten, endpoint string) string {
	t.Helper()
	re := regexp.MustCompile(`\[(C-[0-9a-f]{8})\] [^\n]*XPHONE_CALL ext=` + exten + ` endpoint=` + regexp.QuoteMeta(endpoint) + ` `)
	line := s.ast.WaitLog(since, re, 5*time.Second)
	m := re.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("Asterisk logged no XPHONE_CALL for %s from %s", exten, endpoint)
	}
	return m[1]
}
