package sched

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// refItem and refModel are a naive reference scheduler: per-stream sorted slices and a linear
// scan over all heads for every release, with the policies' keys written out directly.
type refItem struct {
	seq     uint64
	ord     uint64
	rel, dl int64
	class   Class
	payload int
}

type refStream struct {
	items      []refItem
	hasLast    bool
	last       uint64
	class      Class
	period     float64
	gaps       int
	lastSubmit int64
}

type refModel struct {
	pol     Policy
	alpha   float64
	cost    [NumClasses]float64
	period0 [NumClasses]float64
	streams map[string]*refStream
	ord     uint64
}

func (m *refModel) submit(stream string, c Class, seq uint64, now, rel, dl int64, payload int) error {
	st := m.streams[stream]
	if st == nil {
		st = &refStream{class: c, period: m.period0[c], lastSubmit: -1}
		m.streams[stream] = st
	}
	if st.hasLast && seq <= st.last {
		return ErrOutOfOrder
	}
	for _, it := range st.items {
		if it.seq == seq {
			return ErrDuplicate
		}
	}
	m.ord++
	it := refItem{seq: seq, ord: m.ord, rel: max(rel, now), dl: dl, class: st.class, payload: payload}
	i := len(st.items)
	for i > 0 && st.items[i-1].seq > seq {
		i--
	}
	st.items = slices.Insert(st.items, i, it)
	if st.lastSubmit != now {
		if st.lastSubmit >= 0 {
			gap := float64(now - st.lastSubmit)
			if st.gaps == 0 {
				st.period = gap
			} else {
				st.period += m.alpha * (gap - st.period)
			}
			st.gaps++
		}
		st.lastSubmit = now
	}
	return nil
}

func (m *refModel) next(now int64) (string, refItem, bool) {
	var best string
	var bk [3]int64
	found := false
	for name, st := range m.streams {
		if len(st.items) == 0 || st.items[0].rel > now {
			continue
		}
		h := st.items[0]
		var k [3]int64
		switch m.pol {
		case FixedPriority:
			k = [3]int64{int64(h.class), int64(h.ord), 0}
		case RateMonotonic:
			k = [3]int64{int64(st.period), int64(h.ord), 0}
		case EDF:
			k = [3]int64{h.dl, int64(h.ord), 0}
		case LLF:
			d := h.dl
			if d != noDeadline {
				d -= int64(m.cost[h.class])
			}
			k = [3]int64{d, int64(h.ord), 0}
		}
		if !found || k[0] < bk[0] || k[0] == bk[0] && k[1] < bk[1] {
			best, bk, found = name, k, true
		}
	}
	if !found {
		return "", refItem{}, false
	}
	st := m.streams[best]
	h := st.items[0]
	st.items = st.items[1:]
	st.hasLast, st.last = true, h.seq
	return best, h, true
}

// TestAgainstReference drives the scheduler and the naive model with the same random
// operations (submits in and out of order, duplicates, future release times, random
// deadlines, class costs, policy switches) and requires identical release sequences.
func TestAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		for pol := Policy(0); pol < NumPolicies; pol++ {
			t.Run(fmt.Sprintf("%v/seed=%d", pol, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(pol)))
				cfg := quietConfig(pol)
				for c := range cfg.Classes {
					cfg.Classes[c].Cost = time.Duration(1+rng.IntN(5000)) * time.Microsecond
				}
				s, clk := newTest[int](t, cfg)
				m := &refModel{pol: pol, alpha: cfg.Alpha, streams: map[string]*refStream{}}
				for c := range cfg.Classes {
					m.cost[c] = float64(cfg.Classes[c].Cost)
					m.period0[c] = float64(cfg.Classes[c].Period)
				}
				base := clk.Now()
				next := map[string]uint64{}
				classOf := map[string]Class{}
				var buf []Result[int]
				payload := 0
				for step := 0; step < 2500; step++ {
					now := int64(clk.Now().Sub(base))
					switch op := rng.IntN(10); {
					case op < 6:
						st := fmt.Sprint("s", rng.IntN(25))
						if _, ok := classOf[st]; !ok {
							classOf[st] = Class(rng.IntN(NumClasses))
						}
						seq := next[st]
						switch rng.IntN(10) {
						case 0: // a gap filled later, or a duplicate/stale one
							seq += uint64(rng.IntN(3))
						case 1:
							seq -= min(seq, uint64(rng.IntN(3)))
						}
						if seq >= next[st] {
							next[st] = seq + 1
						}
						it := Item[int]{Stream: st, Seq: seq, Class: classOf[st], Payload: payload}
						rel, dl := now, int64(noDeadline)
						if rng.IntN(4) == 0 {
							rel = now + int64(rng.IntN(20))*int64(time.Millisecond)
							it.Release = base.Add(time.Duration(rel))
						}
						if rng.IntN(5) != 0 {
							dl = now + int64(rng.IntN(100))*int64(time.Millisecond)
							it.Deadline = base.Add(time.Duration(dl))
						}
						payload++
						errRef := m.submit(st, classOf[st], seq, now, rel, dl, it.Payload)
						err := s.Submit(it)
						if (err == nil) != (errRef == nil) {
							t.Fatalf("step %d: submit %s/%d: scheduler %v, reference %v", step, st, seq, err, errRef)
						}
					case op < 9:
						n := 1 + rng.IntN(4)
						buf = s.Dispatch(buf[:0], n)
						for _, r := range buf {
							name, it, ok := m.next(now)
							if !ok || r.Stream != name || r.Seq != it.seq || r.Payload != it.payload || r.Outcome != Released {
								t.Fatalf("step %d: released %s/%d (%d), reference %s/%d (%d) ok=%v", step, r.Stream, r.Seq, r.Payload, name, it.seq, it.payload, ok)
							}
						}
						if len(buf) < n {
							if name, it, ok := m.next(now); ok {
								t.Fatalf("step %d: scheduler idle, reference releases %s/%d", step, name, it.seq)
							}
						}
					default:
						if rng.IntN(10) == 0 {
							p := Policy(rng.IntN(NumPolicies))
							if err := s.SetPolicy(p); err != nil {
								t.Fatal(err)
							}
							m.pol = p
						}
						clk.Advance(time.Duration(rng.IntN(3000)) * time.Microsecond)
					}
				}
			})
		}
	}
}

// TestConservation drives a small, rate-limited, overloaded scheduler with random
// submit/dispatch/close/reconfigure sequences and checks that every accepted item comes out
// exactly once (released or shed), refused items never do, every response's items come out in
// increasing seq order, and the statistics add up.
func TestConservation(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		cfg := DefaultConfig()
		cfg.Policy = Policy(rng.IntN(NumPolicies))
		cfg.Capacity = 64 + rng.IntN(64)
		cfg.ShedDepth = cfg.Capacity - rng.IntN(32)
		cfg.MaxPerResponse = 16
		cfg.IdleTimeout = 50 * time.Millisecond
		cfg.Classes[Critical].Protected = rng.IntN(2) == 0
		cfg.Classes[Normal].ShedAfter = 30 * time.Millisecond
		cfg.Classes[Low].ShedAfter = 10 * time.Millisecond
		cfg.Classes[High].Limit = &Rate{PerSecond: 2000, Burst: 4}
		cfg.Classes[Low].Limit = &Rate{PerSecond: 500, Burst: 2}
		cfg.DefaultTenant = TenantConfig{Limit: &Rate{PerSecond: 1000, Burst: 3}}
		cfg.Tenants = map[string]TenantConfig{"big": {Weight: 4, Limit: &Rate{PerSecond: 3000, Burst: 5}}, "free": {}}
		cfg.Admission.Enabled = true
		s, clk := newTest[int](t, cfg)
		tenants := []string{"big", "free", "t1", "t2"}
		accepted := map[int]bool{}
		seen := map[int]bool{}
		last := map[string]uint64{}
		lastSeen := map[string]bool{}
		next := map[string]uint64{}
		payload := 0
		var buf []Result[int]
		check := func(rs []Result[int]) {
			for _, r := range rs {
				if !accepted[r.Payload] || seen[r.Payload] {
					t.Fatalf("seed %d: payload %d out unexpectedly (accepted %v, seen %v)", seed, r.Payload, accepted[r.Payload], seen[r.Payload])
				}
				seen[r.Payload] = true
				if lastSeen[r.Stream] && r.Seq <= last[r.Stream] {
					t.Fatalf("seed %d: %s seq %d after %d", seed, r.Stream, r.Seq, last[r.Stream])
				}
				last[r.Stream], lastSeen[r.Stream] = r.Seq, true
				if r.Outcome == Shed && (r.Reason == ReasonNone || r.Reason >= NumReasons) {
					t.Fatalf("shed without a reason: %+v", r)
				}
			}
		}
		for step := 0; step < 4000; step++ {
			switch op := rng.IntN(20); {
			case op < 11:
				// Sequence numbers only grow per stream name (with gaps): a response closed
				// by Final, Close or idleness and reopened under the same name continues them,
				// so every stream's output must be increasing across incarnations too.
				st := fmt.Sprint("s", rng.IntN(30))
				seq := next[st] + uint64(rng.IntN(2))
				it := Item[int]{Stream: st, Seq: seq, Class: Class(rng.IntN(NumClasses)), Tenant: tenants[rng.IntN(len(tenants))],
					Payload: payload, Final: rng.IntN(40) == 0}
				if rng.IntN(3) == 0 {
					it.Deadline = clk.Now().Add(time.Duration(rng.IntN(40)) * time.Millisecond)
				}
				payload++
				if err := s.Submit(it); err == nil {
					accepted[it.Payload] = true
					next[st] = seq + 1
				} else if !errors.Is(err, ErrQueueFull) && !errors.Is(err, ErrRejected) {
					t.Fatalf("seed %d: submit: %v", seed, err)
				}
			case op < 17:
				buf = s.Dispatch(buf[:0], 1+rng.IntN(8))
				check(buf)
			case op < 18:
				clk.Advance(time.Duration(rng.IntN(20)) * time.Millisecond)
			case op < 19:
				st := fmt.Sprint("s", rng.IntN(30))
				s.Close(st)
			default:
				if rng.IntN(2) == 0 {
					tc := TenantConfig{Weight: float64(1 + rng.IntN(4))}
					if rng.IntN(2) == 0 {
						tc.Limit = &Rate{PerSecond: float64(100 + rng.IntN(2000)), Burst: float64(1 + rng.IntN(4))}
					}
					if err := s.SetTenant(tenants[rng.IntN(len(tenants))], tc); err != nil {
						t.Fatal(err)
					}
					break
				}
				c := s.Config()
				c.Policy = Policy(rng.IntN(NumPolicies))
				c.ShedDepth = 1 + rng.IntN(c.Capacity)
				if err := s.Reconfigure(c); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(time.Duration(rng.IntN(300)) * time.Microsecond)
		}
		buf = s.Drain(buf[:0])
		check(buf)
		for p := range accepted {
			if !seen[p] {
				t.Fatalf("seed %d: accepted payload %d never came out", seed, p)
			}
		}
		st := s.Stats()
		if testing.Verbose() && seed <= 3 {
			for c, cs := range st.Classes {
				t.Logf("seed %d %v: sub %d rel %d shed %v rejected %d degraded-in %d late %d", seed, Class(c), cs.Submitted, cs.Released, cs.Shed, cs.Rejected, cs.DegradedIn, cs.DeadlineMisses)
			}
		}
		var sub, out uint64
		for _, c := range st.Classes {
			sub += c.Submitted
			out += c.Released + c.ShedTotal
			if c.Depth != 0 {
				t.Fatalf("seed %d: class depth %d after Drain", seed, c.Depth)
			}
		}
		if sub != uint64(len(accepted)) || out != sub || st.Depth != 0 || st.Pending != 0 {
			t.Fatalf("seed %d: stats submitted %d, out %d, accepted %d, depth %d", seed, sub, out, len(accepted), st.Depth)
		}
	}
}

// TestConcurrentProducers runs producers and a dispatcher goroutine (under -race in CI) and
// checks that every item is released exactly once and in order per stream.
func TestConcurrentProducers(t *testing.T) {
	cfg := quietConfig(EDF)
	s, err := New[int](cfg)
	if err != nil {
		t.Fatal(err)
	}
	const producers, perProducer = 4, 2000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProducer; i++ {
				st := fmt.Sprint("p", p, "-", i%7)
				if err := s.Submit(Item[int]{Stream: st, Seq: uint64(i / 7), Class: Class(i % NumClasses), Payload: p*perProducer + i,
					Deadline: time.Now().Add(time.Duration(i%50) * time.Millisecond)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	got := 0
	last := map[string]int64{}
	var buf []Result[int]
	var st Stats
	check := func() {
		for _, r := range buf {
			if l, ok := last[r.Stream]; ok && int64(r.Seq) <= l {
				t.Fatalf("%s: seq %d after %d", r.Stream, r.Seq, l)
			}
			last[r.Stream] = int64(r.Seq)
			got++
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-s.Ready():
		}
		buf = s.Dispatch(buf[:0], 64)
		check()
		s.Snapshot(&st)
	}
	for {
		buf = s.Dispatch(buf[:0], 64)
		if len(buf) == 0 {
			break
		}
		check()
	}
	if got != producers*perProducer {
		t.Fatalf("released %d of %d", got, producers*perProducer)
	}
}
