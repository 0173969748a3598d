package sched

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// TestClassRate: a class bucket of 100/s (burst 1) releases 100 items per simulated second.
func TestClassRate(t *testing.T) {
	cfg := quietConfig(EDF)
	cfg.Classes[Normal].Limit = &Rate{PerSecond: 100, Burst: 1}
	s, clk := newTest[int](t, cfg)
	for i := 0; i < 500; i++ {
		mustSubmit(t, s, Item[int]{Stream: fmt.Sprint("s", i%10), Seq: uint64(i / 10), Class: Normal})
	}
	n := 0
	for step := 0; step < 1000; step++ { // 1 s in 1 ms steps
		n += len(s.Dispatch(nil, 100))
		clk.Advance(time.Millisecond)
	}
	if n != 100 {
		t.Fatalf("released %d in 1 s at 100/s", n)
	}
	if st := s.Stats(); !st.Classes[Normal].Limited || st.Classes[Normal].Tokens > 1 {
		t.Errorf("class stats %+v", st.Classes[Normal])
	}
	// Changing the class's rate takes effect at once.
	if err := s.SetClassLimit(Normal, &Rate{PerSecond: 1000, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	n = 0
	for step := 0; step < 100; step++ {
		n += len(s.Dispatch(nil, 100))
		clk.Advance(time.Millisecond)
	}
	if n < 99 || n > 101 {
		t.Fatalf("released %d in 100 ms at 1000/s", n)
	}
	if err := s.SetClassLimit(Normal, &Rate{PerSecond: 0, Burst: 1}); err == nil {
		t.Fatal("zero rate accepted")
	}
	if err := s.SetClassLimit(Normal, nil); err != nil {
		t.Fatal(err)
	}
	// Without a limit everything left goes at once.
	if m := len(s.Dispatch(nil, 1000)); m != 500-100-n {
		t.Fatalf("released %d after removing the limit, want %d", m, 500-100-n)
	}
}

// TestTenantSharing: class capacity 1000/s. Tenants a and b are guaranteed 100/s each and c
// 300/s; all have unbounded backlogs. The in-profile 500/s go first; the spare 500/s are shared
// by weight among the tenants over their limits (a 1, b 3, c 1): a gets 100 + 100, b
// 100 + 300, c 300 + 100 per second. (Tenant bursts are 2 so that polling every 1 ms loses no
// tokens to lateness: with burst 1, c's 3.33 ms interval would be served every 4 ms.)
func TestTenantSharing(t *testing.T) {
	for _, pol := range []Policy{FixedPriority, EDF, LLF, RateMonotonic} {
		cfg := quietConfig(pol)
		cfg.Classes[Normal].Limit = &Rate{PerSecond: 1000, Burst: 1}
		cfg.Tenants = map[string]TenantConfig{
			"a": {Limit: &Rate{PerSecond: 100, Burst: 2}, Weight: 1},
			"b": {Limit: &Rate{PerSecond: 100, Burst: 2}, Weight: 3},
			"c": {Limit: &Rate{PerSecond: 300, Burst: 2}, Weight: 1},
		}
		s, clk := newTest[string](t, cfg)
		seq := map[string]uint64{}
		queued := 0
		feed := func() {
			for _, tn := range []string{"a", "b", "c"} {
				if queued < 3000 {
					queued += 4
					for k := 0; k < 4; k++ {
						st := fmt.Sprint(tn, k)
						mustSubmit(t, s, Item[string]{Stream: st, Tenant: tn, Class: Normal, Seq: seq[tn], Payload: tn, Deadline: clk.Now().Add(50 * time.Millisecond)})
					}
					seq[tn]++
				}
			}
		}
		got := map[string]int{}
		for step := 0; step < 2000; step++ { // 2 s in 1 ms steps
			for i := 0; i < 3; i++ {
				feed()
			}
			for _, r := range s.Dispatch(nil, 10) {
				got[r.Payload]++
				queued--
			}
			clk.Advance(time.Millisecond)
		}
		want := map[string]float64{"a": 400, "b": 800, "c": 800}
		for tn, w := range want {
			if math.Abs(float64(got[tn])-w) > 0.03*w {
				t.Errorf("%v: tenant %s got %d in 2 s, want %.0f ± 3%%", pol, tn, got[tn], w)
			}
		}
	}
}

// TestNoStarvation: a tenant flooding 10000 items cannot hold back a small tenant that
// arrives later: with the default tenant limit each gets its guaranteed share first.
func TestNoStarvation(t *testing.T) {
	cfg := quietConfig(FixedPriority) // FIFO within the class: the flood is ahead of everyone
	cfg.DefaultTenant = TenantConfig{Limit: &Rate{PerSecond: 100, Burst: 5}}
	cfg.Classes[Normal].Limit = &Rate{PerSecond: 1000, Burst: 1}
	s, clk := newTest[string](t, cfg)
	for i := 0; i < 10000; i++ {
		mustSubmit(t, s, Item[string]{Stream: fmt.Sprint("f", i%50), Seq: uint64(i / 50), Tenant: "flood", Class: Normal, Payload: "flood"})
	}
	for i := 0; i < 10; i++ {
		mustSubmit(t, s, Item[string]{Stream: "small", Seq: uint64(i), Tenant: "small", Class: Normal, Payload: "small"})
	}
	small, at := 0, 0
	for step := 0; step < 1000 && small < 10; step++ {
		for _, r := range s.Dispatch(nil, 10) {
			if r.Payload == "small" {
				small++
				at = step
			}
		}
		clk.Advance(time.Millisecond)
	}
	// 5 at once from the burst, then one per 10 ms: all 10 by 50 ms.
	if small != 10 || at > 55 {
		t.Fatalf("small tenant got %d items, the last at %d ms", small, at)
	}
}
