// Command callload holds N concurrent calls through a real xphone binary
// and watches it: browser ↔ browser calls (two pion fake browsers each,
// logged in over HTTPS and the WebSocket signalling) and browser ↔ trunk
// calls (one fake browser dialling out through a SIP trunk to a fake PBX on
// loopback that answers with plain RTP and echoes the audio). For the
// duration it samples every interval: calls up, calls dropped, call sides
// starved of audio, and the server's goroutines, file descriptors, RSS and
// CPU; at the end it hangs up and checks that goroutines and descriptors
// return to where they were. With -gate it exits 1 unless nothing dropped,
// no audio stalled and goroutines, descriptors and RSS stayed flat.
//
//	go run ./bench/callload -calls 100 -duration 10m -interval 30s
//	go run ./bench/callload -calls 20 -duration 20s -interval 2s -gate
//
// For the CPU one call of a kind costs, run one kind at a time at two sizes
// (-trunk-share 0 for browser ↔ browser, 1 for browser ↔ trunk, with
// -trunk-codec pcmu or opus); the result gives the server's CPU per call
// above its idle CPU and the calls one core would hold at that rate.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"os"
	"time"
)

type options struct {
	calls      int
	trunkShare float64
	trunkCodec string // pcmu (transcoded to and from Opus) or opus (passed through)
	libopus    bool
	duration   time.Duration
	interval   time.Duration
	warmup     time.Duration
	parallel   int
	binary     string
	jsonPath   string
	gate       bool
}

// trunkCalls, browserCalls split the calls by kind.
func (o options) trunkCalls() int   { return int(math.Round(float64(o.calls) * o.trunkShare)) }
func (o options) browserCalls() int { return o.calls - o.trunkCalls() }

// extensions is how many extensions the calls need.
func (o options) extensions() int { return 2*o.browserCalls() + o.trunkCalls() }

func main() {
	var o options
	flag.IntVar(&o.calls, "calls", 100, "concurrent calls to hold")
	flag.Float64Var(&o.trunkShare, "trunk-share", 0.5, "share of the calls that go out through the SIP trunk (0..1)")
	flag.StringVar(&o.trunkCodec, "trunk-codec", "pcmu", "codec the trunk and the PBX use: pcmu (the server transcodes) or opus (passed through)")
	flag.BoolVar(&o.libopus, "libopus", false, "build xphone with libopus (tags libopus nolibopusfile) instead of pure-Go Opus")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to hold the calls")
	flag.DurationVar(&o.interval, "interval", 30*time.Second, "sampling interval")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "time after all calls are up before the first sample")
	flag.IntVar(&o.parallel, "parallel", 8, "calls set up at once")
	flag.StringVar(&o.binary, "binary", "", "xphone binary (default: go build ./cmd/xphone)")
	flag.StringVar(&o.jsonPath, "json", "", "also write the result as JSON to this file")
	flag.BoolVar(&o.gate, "gate", false, "exit 1 unless 0 drops, no audio stalls and flat goroutines/fds/RSS")
	flag.Parse()
	if o.calls < 1 || o.trunkShare < 0 || o.trunkShare > 1 || o.interval <= 0 || o.parallel < 1 ||
		(o.trunkCodec != "pcmu" && o.trunkCodec != "opus") {
		log.Fatal("callload: -calls ≥ 1, -trunk-share 0..1, -trunk-codec pcmu or opus, -interval > 0, -parallel ≥ 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration+10*time.Minute)
	defer cancel()
	res, err := run(ctx, o, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	res.print(os.Stdout)
	if o.jsonPath != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonPath, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if o.gate && !res.Pass {
		os.Exit(1)
	}
}

// run starts the PBX and the server, holds the calls and measures.
func run(ctx context.Context, o options, progress io.Writer) (*result, error) {
	pbxAddr, err := freeAddr("udp")
	if err != nil {
		return nil, err
	}
	sipAddr, err := freeAddr("udp")
	if err != nil {
		return nil, err
	}
	pbx, err := startPBX(pbxAddr, o.trunkCodec, slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, err
	}
	defer pbx.close()
	srv, err := startServer(ctx, o, pbxAddr, sipAddr)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fmt.Fprintf(progress, "xphone up at %s (pid %d); placing %d browser and %d trunk calls\n",
		srv.url, srv.pid(), o.browserCalls(), o.trunkCalls())
	h := &holder{o: o, srv: srv, pbx: pbx, proc: proc{srv.pid()}, progress: progress}
	return h.hold(ctx)
}
