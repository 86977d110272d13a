// Command xphone runs the Xphone softphone, conference server and SIP trunk
// gateway. With no arguments it serves https://HOST:81/xphone/ from an
// embedded default config; see README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"xphone/configs"
	"xphone/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "hash-password":
			return hashPassword(stdin, stdout, stderr)
		case "check-config":
			return checkConfig(args[1:], stdout, stderr)
		case "store-to-redis":
			return storeToRedis(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("xphone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (default: the embedded default config)")
	dataDir := fs.String("data-dir", "./xphone-data", "directory for generated passwords and the self-signed certificate")
	httpAddr := fs.String("http-addr", "", "HTTPS listen address, overrides http.listen (e.g. :8443)")
	metricsAddr := fs.String("metrics-addr", "", "plain-HTTP address for /metrics, /healthz, /readyz; overrides metrics.listen (e.g. 127.0.0.1:9181)")
	pprofAddr := fs.String("pprof-addr", "", "serve Go profiling (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off by default")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: xphone [flags] | xphone hash-password | xphone check-config FILE | xphone store-to-redis -config FILE [-data-dir DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	if *pprofAddr != "" {
		stop, err := servePprof(*pprofAddr, log)
		if err != nil {
			log.Error("cannot serve pprof", "addr", *pprofAddr, "err", err)
			return 1
		}
		defer stop()
	}
	return serve(cfg, *configPath, server.Options{DataDir: *dataDir, Addr: *httpAddr, MetricsAddr: *metricsAddr, Logger: log})
}

func loadConfig(path string) (*configs.Config, error) {
	if path == "" {
		return configs.Default()
	}
	return configs.Load(path)
}

// serve runs the server (o without Config) until SIGINT or SIGTERM,
// reloading on SIGHUP and when the config file changes. SIGTERM drains (no
// new calls, up to server.drain_grace for the current ones to end); SIGINT
// (Ctrl-C), or SIGTERM again, stops at once.
func serve(cfg *configs.Config, configPath string, o server.Options) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log := o.Logger
	o.Config = cfg
	srv, err := server.Start(context.Background(), o)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if configPath != "" {
		srv.WatchConfig(configPath, 2*time.Second)
	}
	sig := waitForStop(srv, configPath, sigs, hup, log)
	log.Info("stopping", "signal", sig.String())
	if sig == syscall.SIGTERM {
		drain(srv, sigs)
	}
	log.Info("shutting down")
	if err := srv.Close(); err != nil {
		log.Warn("shutdown", "err", err)
	}
	return 0
}

// waitForStop reloads on each SIGHUP until a stop signal arrives.
func waitForStop(srv *server.Server, configPath string, sigs, hup <-chan os.Signal, log *slog.Logger) os.Signal {
	for {
		select {
		case sig := <-sigs:
			return sig
		case <-hup:
			if configPath == "" {
				log.Warn("SIGHUP: running the embedded default config; start with -config FILE to reload")
				continue
			}
			srv.ReloadFile(configPath)
		}
	}
}

// drain waits for srv to drain, cut short by another stop signal.
func drain(srv *server.Server, sigs <-chan os.Signal) {
	again, done := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-sigs:
			close(again)
		case <-done:
		}
	}()
	srv.Drain(again)
	close(done)
	wg.Wait()
}

func newLogger(cfg configs.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
