package sched

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// benchSched builds a scheduler holding `queued` items spread over queued/10 responses (at
// least 1) of 16 tenants in all four classes, with class and tenant token buckets configured
// but never binding, so the measured path includes the bucket checks.
type benchSched struct {
	s       *Scheduler[int]
	streams []string
	seq     []uint64
	next    int
}

func newBenchSched(b *testing.B, pol Policy, queued int) *benchSched {
	cfg := DefaultConfig()
	cfg.Policy = pol
	cfg.Capacity = 1 << 18
	cfg.ShedDepth = cfg.Capacity
	cfg.MaxPerResponse = 1 << 12
	for c := range cfg.Classes {
		cfg.Classes[c].Limit = &Rate{PerSecond: 1e9, Burst: 1e6}
		cfg.Classes[c].ShedAfter = 0
		cfg.Classes[c].ShedLate = false
		cfg.Classes[c].Budget = time.Duration(c+1) * time.Minute
	}
	cfg.DefaultTenant = TenantConfig{Limit: &Rate{PerSecond: 1e9, Burst: 1e6}}
	cfg.IdleTimeout = time.Hour
	s, err := New[int](cfg)
	if err != nil {
		b.Fatal(err)
	}
	nresp := max(1, queued/10)
	bs := &benchSched{s: s, streams: make([]string, nresp), seq: make([]uint64, nresp)}
	for i := range bs.streams {
		bs.streams[i] = fmt.Sprintf("stream-%06d", i)
		if _, err := s.Open(Response{Stream: bs.streams[i], Tenant: fmt.Sprint("tenant-", i%16), Class: Class(i % NumClasses)}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < queued; i++ {
		bs.submit(b)
	}
	return bs
}

func (bs *benchSched) submit(b *testing.B) { bs.submitAt(b, time.Time{}) }

// submitAt submits with the given time, or reading the clock if it is zero.
func (bs *benchSched) submitAt(b *testing.B, now time.Time) {
	i := bs.next
	bs.next++
	if bs.next == len(bs.streams) {
		bs.next = 0
	}
	var err error
	it := Item[int]{Stream: bs.streams[i], Seq: bs.seq[i], Payload: i}
	if now.IsZero() {
		err = bs.s.Submit(it)
	} else {
		err = bs.s.SubmitAt(now, it)
	}
	if err != nil {
		b.Fatal(err)
	}
	bs.seq[i]++
}

// BenchmarkScheduleDispatch measures one Submit plus one Dispatch of one item with `queued`
// items waiting, in steady state. It also reports the two halves separately (ns/submit,
// ns/dispatch), timed over batches of 256 so that timer reads do not dominate. With
// clock=batch the time is read once per batch and passed to SubmitAt/DispatchAt, as a
// dispatcher loop would; with clock=each every call reads the clock itself (time.Now).
func BenchmarkScheduleDispatch(b *testing.B) {
	for _, clock := range []string{"batch", "each"} {
		for _, pol := range []Policy{FixedPriority, RateMonotonic, EDF, LLF} {
			for _, queued := range []int{10, 1000, 100000} {
				if clock == "each" && pol != EDF {
					continue
				}
				b.Run(fmt.Sprintf("clock=%s/policy=%v/queued=%d", clock, pol, queued), func(b *testing.B) {
					benchScheduleDispatch(b, pol, queued, clock == "each")
				})
			}
		}
	}
}

func benchScheduleDispatch(b *testing.B, pol Policy, queued int, each bool) {
	bs := newBenchSched(b, pol, queued)
	buf := make([]Result[int], 0, 256)
	// Warm up: grow every ring and heap to its steady size.
	for i := 0; i < 4*queued+1024; i++ {
		bs.submit(b)
		buf = bs.s.Dispatch(buf[:0], 1)
	}
	const batch = 256
	var tSub, tDis time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		t0 := time.Now()
		at := t0
		if each {
			at = time.Time{}
		}
		for i := 0; i < n; i++ {
			bs.submitAt(b, at)
		}
		t1 := time.Now()
		if !each {
			at = t1
		}
		for i := 0; i < n; i++ {
			if each {
				buf = bs.s.Dispatch(buf[:0], 1)
			} else {
				buf = bs.s.DispatchAt(at, buf[:0], 1)
			}
			if len(buf) != 1 {
				b.Fatalf("dispatch returned %d", len(buf))
			}
		}
		tDis += time.Since(t1)
		tSub += t1.Sub(t0)
	}
	b.ReportMetric(float64(tSub.Nanoseconds())/float64(b.N), "ns/submit")
	b.ReportMetric(float64(tDis.Nanoseconds())/float64(b.N), "ns/dispatch")
}

// BenchmarkSnapshot is the cost of a statistics snapshot with 100k items queued and wait
// histograms populated.
func BenchmarkSnapshot(b *testing.B) {
	bs := newBenchSched(b, EDF, 100000)
	buf := make([]Result[int], 0, 1024)
	for i := 0; i < 100; i++ {
		buf = bs.s.Dispatch(buf[:0], 1000)
		for range buf {
			bs.submit(b)
		}
	}
	var st Stats
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bs.s.Snapshot(&st)
	}
}

// BenchmarkParallel runs g goroutines, each submitting to its own responses and dispatching,
// against one scheduler with 1000 items queued; ns/op is wall time per submit+dispatch pair.
func BenchmarkParallel(b *testing.B) {
	for _, g := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			bs := newBenchSched(b, EDF, 1000)
			s := bs.s
			per := make([][]string, g)
			for w := range per {
				for k := 0; k < 16; k++ {
					name := fmt.Sprintf("par-%d-%d", w, k)
					if _, err := s.Open(Response{Stream: name, Tenant: fmt.Sprint("tenant-", k), Class: Class(k % NumClasses)}); err != nil {
						b.Fatal(err)
					}
					per[w] = append(per[w], name)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < g; w++ {
				n := b.N / g
				if w == 0 {
					n += b.N % g
				}
				wg.Add(1)
				go func(names []string, n int) {
					defer wg.Done()
					buf := make([]Result[int], 0, 4)
					seq := make([]uint64, len(names))
					for i := 0; i < n; i++ {
						k := i % len(names)
						if err := s.Submit(Item[int]{Stream: names[k], Seq: seq[k]}); err != nil {
							b.Error(err)
							return
						}
						seq[k]++
						buf = s.Dispatch(buf[:0], 1)
					}
				}(per[w], n)
			}
			wg.Wait()
		})
	}
}

// BenchmarkTokenBucket compares TokenBucket with golang.org/x/time/rate.Limiter in the same
// run: Allow with tokens available, Allow on an empty bucket, Wait when no waiting is needed
// (the wait-free path), and Allow from all goroutines at once.
func BenchmarkTokenBucket(b *testing.B) {
	ctx := context.Background()
	mine := func(r, burst float64) *TokenBucket {
		tb, err := NewTokenBucket(Rate{PerSecond: r, Burst: burst}, nil)
		if err != nil {
			b.Fatal(err)
		}
		return tb
	}
	b.Run("impl=sched/op=allow", func(b *testing.B) {
		tb := mine(1e9, 1e9)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tb.Allow()
		}
	})
	b.Run("impl=xrate/op=allow", func(b *testing.B) {
		l := rate.NewLimiter(1e9, 1e9)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			l.Allow()
		}
	})
	// allow-at passes the time in (AllowN(t, 1) for both), isolating the bucket from the
	// cost of reading the clock.
	b.Run("impl=sched/op=allow-at", func(b *testing.B) {
		tb := mine(1e9, 1e9)
		t0 := time.Now()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tb.AllowN(t0.Add(time.Duration(i)), 1)
		}
	})
	b.Run("impl=xrate/op=allow-at", func(b *testing.B) {
		l := rate.NewLimiter(1e9, 1e9)
		t0 := time.Now()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			l.AllowN(t0.Add(time.Duration(i)), 1)
		}
	})
	b.Run("impl=sched/op=deny", func(b *testing.B) {
		tb := mine(1e-3, 1)
		tb.Allow()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if tb.Allow() {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("impl=xrate/op=deny", func(b *testing.B) {
		l := rate.NewLimiter(1e-3, 1)
		l.Allow()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if l.Allow() {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("impl=sched/op=wait-free", func(b *testing.B) {
		tb := mine(1e9, 1e9)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := tb.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=xrate/op=wait-free", func(b *testing.B) {
		l := rate.NewLimiter(1e9, 1e9)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := l.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=sched/op=allow-parallel", func(b *testing.B) {
		tb := mine(1e9, 1e9)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tb.Allow()
			}
		})
	})
	b.Run("impl=xrate/op=allow-parallel", func(b *testing.B) {
		l := rate.NewLimiter(1e9, 1e9)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow()
			}
		})
	})
}
