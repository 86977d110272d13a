package siptrunk

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// TestHangupBeforeAnySilentPeerAnswerEndsAtOnce: the far end never answers
// our INVITE (a dead PBX). RFC 3261 forbids a CANCEL before a provisional
// response, so the transaction lives on until Timer B (32 s); neither the
// caller hanging up nor the trunk closing (a server restart) may wait for
// it. Before the fix Dial returned, and a server stopped, only after 32 s.
func TestHangupBeforeAnySilentPeerAnswerEndsAtOnce(t *testing.T) {
	silent, err := net.ListenPacket("udp4", "127.0.0.2:5073") // reads nothing, answers nothing
	must(t, err)
	defer silent.Close()
	tr := newTestTrunk(t, configs.Trunk{Address: silent.LocalAddr().String()}, nil)
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond, sfu.ErrCancelled)
	defer cancel()
	start := time.Now()
	_, err = tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0301234567"})
	if !errors.Is(err, sfu.ErrCancelled) {
		t.Fatalf("Dial: %v, want the caller's cause", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Dial returned %v after the caller hung up, waiting on the dead peer", took)
	}
	start = time.Now()
	closeCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := tr.Close(closeCtx); err != nil {
		t.Fatalf("trunk close: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("trunk close took %v: it waited for Timer B", took)
	}
}

// TestAnswerCrossingOurCancelIsEndedWithBye: the far end answers 200 just
// as we CANCEL (it processed the INVITE first). Its call is up, so RFC
// 3261 §15 wants ACK and BYE from us; without them the far phone stays
// off-hook on a call nobody is in.
func TestAnswerCrossingOurCancelIsEndedWithBye(t *testing.T) {
	far := startAnswerOnCancelUAS(t, "127.0.0.2:5074")
	tr := newTestTrunk(t, configs.Trunk{Address: far.addr}, nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	rang := make(chan struct{}, 1)
	go func() { <-rang; cancel(sfu.ErrCancelled) }()
	_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0301234567",
		Ringing: func() { rang <- struct{}{} }})
	if !errors.Is(err, sfu.ErrCancelled) {
		t.Fatalf("Dial: %v, want the caller's cause", err)
	}
	select {
	case <-far.bye:
	case <-time.After(5 * time.Second):
		t.Fatal("no BYE for the 200 that crossed our CANCEL")
	}
	if far.acks.Load() != 1 {
		t.Errorf("ACKs = %d, want 1", far.acks.Load())
	}
}
