package cluster

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine of a node stops with its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
