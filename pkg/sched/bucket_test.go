package sched

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTokenBucketRate(t *testing.T) {
	for _, tc := range []struct {
		rate, burst float64
	}{{10, 2}, {100, 5}, {1000, 50}, {333333, 10}, {0.5, 2}} {
		clk := newFakeClock()
		b, err := NewTokenBucket(Rate{tc.rate, tc.burst}, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		// A full bucket gives exactly its burst at once.
		n := 0
		for b.Allow() {
			n++
		}
		if n != int(tc.burst) {
			t.Errorf("rate %g burst %g: initial burst %d", tc.rate, tc.burst, n)
		}
		// Then, polling every step for simulated 100 s (or 10^5 tokens), the count is
		// rate × elapsed within one token plus the rounding of the interval to whole ns.
		dur := 100 * time.Second
		if tc.rate*dur.Seconds() > 2e4 {
			dur = time.Duration(2e4 / tc.rate * 1e9)
		}
		step := time.Duration(1e9/tc.rate) / 3
		if step < 1 {
			step = 1
		}
		got := 0
		for el := time.Duration(0); el < dur; el += step {
			clk.Advance(step)
			for b.Allow() {
				got++
			}
		}
		want := tc.rate * dur.Seconds()
		iv := math.Round(1e9 / tc.rate)
		tol := 1 + want*math.Abs(iv-1e9/tc.rate)/iv + 1
		if math.Abs(float64(got)-want) > tol {
			t.Errorf("rate %g: %d tokens in %v, want %.1f ± %.1f", tc.rate, got, dur, want, tol)
		}
		lim := b.Limit()
		if math.Abs(lim.PerSecond-tc.rate)/tc.rate > 1e-3 || math.Abs(lim.Burst-tc.burst) > 1e-3*tc.burst {
			t.Errorf("Limit() = %+v, want %g/%g", lim, tc.rate, tc.burst)
		}
	}
}

func TestTokenBucketTokensAndSetLimit(t *testing.T) {
	clk := newFakeClock()
	b, err := NewTokenBucket(Rate{PerSecond: 10, Burst: 4}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Tokens(clk.Now()); got != 4 {
		t.Fatalf("full bucket has %g tokens", got)
	}
	if !b.AllowN(clk.Now(), 3) || b.AllowN(clk.Now(), 2) {
		t.Fatal("AllowN took tokens it should not")
	}
	clk.Advance(150 * time.Millisecond) // 1 + 1.5 tokens
	if got := b.Tokens(clk.Now()); math.Abs(got-2.5) > 1e-9 {
		t.Fatalf("tokens after 150 ms: %g, want 2.5", got)
	}
	// SetLimit keeps the time to refill: 1.5 tokens missing at 100 ms each is 150 ms, which at
	// 200 ms per token is 0.75 tokens missing from the burst of 4.
	if err := b.SetLimit(Rate{PerSecond: 5, Burst: 4}); err != nil {
		t.Fatal(err)
	}
	if got := b.Tokens(clk.Now()); math.Abs(got-3.25) > 1e-9 {
		t.Fatalf("tokens after SetLimit: %g", got)
	}
	for _, bad := range []Rate{{0, 1}, {-1, 1}, {math.NaN(), 1}, {math.Inf(1), 1}, {2e9, 1}, {1, 0}, {1, 0.5}, {1e-9, 1e9}} {
		if err := b.SetLimit(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetLimit(%+v) = %v, want ErrInvalid", bad, err)
		}
		if _, err := NewTokenBucket(bad, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewTokenBucket(%+v) = %v", bad, err)
		}
	}
}

// TestTokenBucketConcurrent checks that concurrent takers never get more than burst plus
// refill: the CAS loop must not double-spend.
func TestTokenBucketConcurrent(t *testing.T) {
	clk := newFakeClock()
	b, err := NewTokenBucket(Rate{PerSecond: 1000, Burst: 100}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if b.Allow() {
					got.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got.Load() != 100 {
		t.Fatalf("8 goroutines took %d tokens from a bucket of 100 with a stopped clock", got.Load())
	}
}

func TestTokenBucketWait(t *testing.T) {
	b, err := NewTokenBucket(Rate{PerSecond: 1e6, Burst: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ { // 1 µs apart: the timer path, briefly
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	slow, _ := NewTokenBucket(Rate{PerSecond: 0.001, Burst: 1}, nil)
	if err := slow.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := slow.Wait(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with a deadline before the next token: %v", err)
	}
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := slow.Wait(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context: %v", err)
	}
}
