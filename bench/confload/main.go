// Command confload measures a conference room under load: it starts the
// xphone binary with N generated extensions, joins N pion participants to
// one room over the real login and WebSocket signalling (K of them talking
// with Opus tones and RFC 6464 levels, the rest silent), switches the
// dominant talker on a script, and reports the server's CPU and memory per
// participant, packets forwarded per CPU-second, join time, the time a
// joiner takes to hear the talkers in its mix (first mixed audio), speaker-
// switch latency and mix delay. -late K joins K more into the full, talking
// room before the window: first audio under load. Everything runs on
// 127.0.0.1.
//
//	go run ./bench/confload -n 100 -talkers 3 -duration 20s -late 10
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"xphone/sfu/sfutest"
)

type options struct {
	n, talkers int
	// late participants join after the first n, into the full room
	// whose talkers are talking, before the measurement window.
	late  int
	video bool
	// publishers is how many participants send video with -video (the
	// first ones); the others only receive it. 0: everyone sends.
	publishers int
	// videoKbps > 0: publishers send camera-rate VP8 (frames of several
	// packets at fps, key frames every few seconds); 0: one packet per 20 ms.
	videoKbps, fps int
	duration       time.Duration
	switchGap      time.Duration
	binary         string
	libopus        bool
	pprof          string
	// listenerFrame is policy.mixer.listener_frame_ms: 0 (by room size), 20, 40 or 60.
	listenerFrame int
	// pinCore pins the server to one core (-1: not pinned); hogs busy loops
	// run beside it (on that core when pinned) during the measurement.
	pinCore, hogs int
	// janus runs the same video room on Janus's VideoRoom instead, from
	// the configuration in janusConfig (bench/janus).
	janus       bool
	janusConfig string
}

// sendsVideo reports whether participant i publishes video.
func (o options) sendsVideo(i int) bool {
	return o.video && (o.publishers == 0 || i < o.publishers)
}

// clientOptions is the fake browser of a participant that sends video
// if send, or else only views it (with -video).
// NominateAtOnce: ICE nominates as soon as the server answered, as a
// browser does, so join times show the server and not pion's 200 ms check
// tick.
func (o options) clientOptions(send bool) sfutest.Options {
	return sfutest.Options{Video: send, ReceiveVideo: o.video && !send,
		VideoKbps: o.videoKbps, VideoFPS: o.fps, NominateAtOnce: true}
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 50, "participants")
	flag.IntVar(&o.talkers, "talkers", 3, "participants talking at once (0: nobody talks, no speaker or mix-delay probes: a forwarding-only video measure)")
	flag.IntVar(&o.late, "late", 0, "participants joining after the room is full and talking (first mixed audio under load)")
	flag.BoolVar(&o.video, "video", false, "participants also send synthetic VP8 video (room mode all)")
	flag.IntVar(&o.publishers, "publishers", 0, "with -video, only the first K participants send video, the rest only view it (0: all send)")
	flag.IntVar(&o.videoKbps, "video-kbps", 0, "with -video, publishers send VP8 at this bitrate in frames of several packets, as a camera does (0: one small packet per 20 ms)")
	flag.IntVar(&o.fps, "fps", 30, "with -video-kbps, video frames per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measurement window after everyone joined")
	flag.DurationVar(&o.switchGap, "switch", 2*time.Second, "how often the loudest talker changes")
	flag.StringVar(&o.binary, "binary", "", "xphone binary (default: build ./cmd/xphone)")
	flag.BoolVar(&o.libopus, "libopus", false, "build the server with libopus (tags libopus nolibopusfile)")
	flag.StringVar(&o.pprof, "pprof", "", "have the server serve pprof on this address (e.g. 127.0.0.1:6060)")
	flag.IntVar(&o.listenerFrame, "listener-frame", 0, "policy.mixer.listener_frame_ms of the server: 0 (by room size), 20, 40 or 60")
	flag.IntVar(&o.pinCore, "pin", -1, "pin the server to this CPU core (-1: no pinning)")
	flag.IntVar(&o.hogs, "hog", 0, "busy loops to run beside the server while measuring (on the pinned core, if any)")
	flag.BoolVar(&o.janus, "janus", false, "with -video -publishers K: measure Janus's VideoRoom (janus on the PATH: bench/janus/install.sh) instead of xphone")
	flag.StringVar(&o.janusConfig, "janus-config", "bench/janus", "folder of the Janus configuration for -janus")
	flag.Parse()
	if o.talkers < 0 || o.talkers > o.n-2 {
		log.Fatalf("-talkers %d: want 0..%d (the mix-delay probe and its listener need two more of -n %d)", o.talkers, o.n-2, o.n)
	}
	if o.late < 0 {
		log.Fatalf("-late %d: want ≥ 0", o.late)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration+5*time.Minute)
	defer cancel()
	if o.janus {
		if !o.video || o.publishers < 1 {
			log.Fatal("-janus: want -video and -publishers ≥ 1")
		}
		res, err := runJanus(ctx, o)
		if err != nil {
			log.Fatal(err)
		}
		res.print(os.Stdout, o)
		return
	}
	res, err := run(ctx, o)
	if err != nil {
		log.Fatal(err)
	}
	res.print(os.Stdout, o)
}

// run starts the server, joins everyone, measures, and tears down.
func run(ctx context.Context, o options) (*result, error) {
	srv, err := startServer(ctx, o)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	if o.pinCore >= 0 {
		if err := pin(srv.pid(), o.pinCore); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "server up at %s (pid %d); joining %d participants\n", srv.url, srv.pid(), o.n)
	room, err := joinAll(ctx, srv, o)
	defer room.close()
	if err == nil {
		err = room.joinLate(ctx, srv, o)
	}
	if err != nil {
		return nil, err
	}
	room.waitHeard()
	fmt.Fprintf(os.Stderr, "all joined (%d late); measuring for %s\n", o.late, o.duration)
	if o.hogs > 0 {
		stop, err := startHogs(o.hogs, o.pinCore)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	return measure(ctx, srv, room, o)
}
