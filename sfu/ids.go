package sfu

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random identifier with the given prefix, e.g. "leg-3f9a…".
func NewID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "-" + hex.EncodeToString(b[:])
}
