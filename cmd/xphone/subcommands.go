package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xphone/configs"
	"xphone/internal/server"
	"xphone/store"
	"xphone/web/auth"
)

// hashPassword reads a password line from stdin and prints its bcrypt hash
// for an extension's password_hash.
func hashPassword(stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprint(stderr, "Password: ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "read password:", err)
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		fmt.Fprintln(stderr, "\nempty password")
		return 1
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		fmt.Fprintln(stderr, "\n", err)
		return 1
	}
	fmt.Fprintln(stderr)
	fmt.Fprintln(stdout, hash)
	return 0
}

// checkConfig validates a config file and prints every problem, then
// the warnings (valid settings that are probably mistakes).
func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: xphone check-config FILE")
		return 2
	}
	cfg, err := configs.Load(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "warning: "+w)
	}
	fmt.Fprintln(stdout, args[0]+": OK")
	return 0
}

// storeToRedis copies the data directory's SQLite store (live sessions,
// call history, settings) into the Redis of the config's cluster: block,
// once, when a single node becomes a cluster: nodes do not migrate it
// themselves. A Redis already holding sessions or history is refused.
func storeToRedis(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("store-to-redis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file with the cluster: block naming the Redis")
	dataDir := fs.String("data-dir", "./xphone-data", "data directory holding "+store.FileName)
	if err := fs.Parse(args); err != nil || *configPath == "" {
		fmt.Fprintln(stderr, "usage: xphone store-to-redis -config FILE [-data-dir DIR]")
		return 2
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if cfg.Cluster == nil {
		fmt.Fprintln(stderr, *configPath+": no cluster: block, so no Redis to copy into")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := copyStore(ctx, filepath.Join(*dataDir, store.FileName), cfg.Cluster, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// copyStore reads the SQLite file at path and imports it into Redis.
func copyStore(ctx context.Context, path string, c *configs.Cluster, stdout io.Writer) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store to copy: %w", err)
	}
	src, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dump, err := src.Export(ctx, time.Now())
	if err != nil {
		return err
	}
	dst, err := server.OpenSharedStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := dst.Import(ctx, dump); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d sessions, %d call history entries, %d settings from %s into Redis %v\n",
		len(dump.Sessions), len(dump.Calls), len(dump.Settings), path, c.Redis.Addrs)
	return nil
}
