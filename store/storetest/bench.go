package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xphone/store"
)

// BenchGetSession measures the lookup behind every authenticated request.
func BenchGetSession(b *testing.B, open Opener) {
	s, _ := open(b)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for i := range 1000 {
		if err := s.PutSession(ctx, store.Session{TokenHash: fmt.Sprintf("h%04d", i), Ext: fmt.Sprint(1000 + i%50), Expires: exp}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.GetSession(ctx, fmt.Sprintf("h%04d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchAddCall measures recording one call in a capped history (the cap
// reached, so every add also trims).
func BenchAddCall(b *testing.B, open Opener) {
	s, _ := open(b)
	ctx := context.Background()
	limits := store.HistoryLimits{Keep: 100}
	e := store.CallEntry{Ext: "1001", Direction: store.Missed, Number: "1002", Name: "Bob", Started: time.Now(), Reason: "no_answer"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.AddCall(ctx, e, limits); err != nil {
			b.Fatal(err)
		}
	}
}
