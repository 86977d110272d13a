package siptrunk

import (
	"context"
	"net"
	"testing"
	"time"

	"xphone/cluster"
	"xphone/configs"
)

// TestCloseDoesNotWaitForAnUnansweredLeasedREGISTER: the lease holder's
// REGISTER is in flight to a registrar that never answers when the server
// stops. Close must not wait for that request's timeout before it can
// unregister and free the lease (it waited 8 s for the REGISTER, then its
// own unREGISTER's 2 s).
func TestCloseDoesNotWaitForAnUnansweredLeasedREGISTER(t *testing.T) {
	silent, err := net.ListenPacket("udp4", "127.0.0.2:5075") // takes REGISTERs, answers none
	must(t, err)
	defer silent.Close()
	c := cluster.NewMemory("n1", nil)
	defer c.Close()
	tc := configs.Trunk{Name: "pbx", Address: silent.LocalAddr().String(), Listen: "127.0.0.1:0",
		Register: &configs.TrunkRegister{User: "xphone", Password: "s3cret", Expiry: configs.Duration(60 * time.Second)}}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Leases: c}, nil, testLogger())
	must(t, err)
	must(t, tr.Start())
	buf := make([]byte, 4096)
	must(t, silent.SetReadDeadline(time.Now().Add(5*time.Second)))
	if _, _, err := silent.ReadFrom(buf); err != nil {
		t.Fatalf("no REGISTER reached the registrar: %v", err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := tr.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The unREGISTER itself may wait its own 2 s for the silent registrar.
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("Close took %v: it waited for the REGISTER in flight", took)
	}
}
