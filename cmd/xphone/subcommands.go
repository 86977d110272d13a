package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"xphone/configs"
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
