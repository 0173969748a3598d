package sched

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHistQuantiles compares the histogram's quantiles with exact order statistics of random
// samples (log-uniform over 1 ns .. 100 s, and a few heavy ties); the error must stay within
// the documented HistRelErr (plus 1 ns for the exact buckets below 16 ns).
func TestHistQuantiles(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(5000)
		var h hist
		vals := make([]int64, n)
		for i := range vals {
			v := int64(math.Exp(rng.Float64() * math.Log(1e11)))
			if rng.IntN(10) == 0 {
				v = 12345
			}
			vals[i] = v
			h.add(v)
		}
		slices.Sort(vals)
		ws := h.summary()
		got := []time.Duration{ws.P50, ws.P90, ws.P99, ws.P999}
		for i, q := range quantiles {
			exact := vals[int(math.Ceil(q*float64(n)))-1]
			if err := math.Abs(float64(got[i]) - float64(exact)); err > HistRelErr*float64(exact)+1 {
				t.Errorf("seed %d n %d q %g: %d, exact %d (rel err %.4f)", seed, n, q, got[i], exact, err/float64(exact))
			}
		}
		if ws.Max != time.Duration(vals[n-1]) || ws.Count != uint64(n) {
			t.Errorf("max %v count %d", ws.Max, ws.Count)
		}
	}
	for i := 0; i < histN; i++ { // bucket bounds tile the line and index back to themselves
		lo, hi := histBounds(i)
		if histIndex(lo) != i || (i < histN-1 && histIndex(hi-1) != i) || (i > 0 && histIndex(lo-1) != i-1) {
			t.Fatalf("bucket %d [%d, %d) inconsistent", i, lo, hi)
		}
	}
}

// TestStatsCounts checks the incremental counters against a scripted run.
func TestStatsCounts(t *testing.T) {
	cfg := quietConfig(EDF)
	cfg.Classes[High].DelayAfter = 15 * time.Millisecond
	s, clk := newTest[int](t, cfg)
	for i := 0; i < 4; i++ {
		mustSubmit(t, s, Item[int]{Stream: "h", Seq: uint64(i), Class: High, Deadline: clk.Now().Add(25 * time.Millisecond)})
	}
	mustSubmit(t, s, Item[int]{Stream: "l", Class: Low})
	// Release one high item every 10 ms: waits 10, 20, 30, 40 ms; the last two are late.
	for i := 0; i < 4; i++ {
		clk.Advance(10 * time.Millisecond)
		if rs := s.Dispatch(nil, 1); len(rs) != 1 || rs[0].Class != High || rs[0].Wait != time.Duration(i+1)*10*time.Millisecond {
			t.Fatalf("step %d: %+v", i, rs)
		}
	}
	var st Stats
	s.Snapshot(&st)
	h := st.Classes[High]
	if h.Submitted != 4 || h.Released != 4 || h.Delayed != 3 || h.DeadlineMisses != 2 || h.Depth != 0 || h.Wait.Count != 4 {
		t.Fatalf("high %+v", h)
	}
	if h.Wait.Max != 40*time.Millisecond || absDur(h.Wait.Mean-25*time.Millisecond) > time.Microsecond ||
		absDur(h.Wait.P50-20*time.Millisecond) > time.Duration(HistRelErr*float64(20*time.Millisecond)) {
		t.Fatalf("high wait %+v", h.Wait)
	}
	if l := st.Classes[Low]; l.Depth != 1 || l.Submitted != 1 || st.Depth != 1 || st.Responses != 2 || st.Tenants != 1 || st.Policy != EDF {
		t.Fatalf("snapshot %+v", st)
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Policy = 7 },
		func(c *Config) { c.Capacity = -1 },
		func(c *Config) { c.ShedDepth = c.Capacity + 1 },
		func(c *Config) { c.MaxPerResponse = -3 },
		func(c *Config) { c.Alpha = 1.5 },
		func(c *Config) { c.IdleTimeout = -time.Second },
		func(c *Config) { c.Classes[Low].Limit = &Rate{PerSecond: 0, Burst: 1} },
		func(c *Config) { c.Classes[Low].Limit = &Rate{PerSecond: -5, Burst: 1} },
		func(c *Config) { c.Classes[High].Budget = -time.Millisecond },
		func(c *Config) { c.Classes[High].Budget = time.Hour },
		func(c *Config) { c.DefaultTenant.Limit = &Rate{PerSecond: 10, Burst: 0} },
		func(c *Config) { c.DefaultTenant.Weight = -1 },
		func(c *Config) { c.Tenants = map[string]TenantConfig{"x": {Limit: &Rate{}}} },
		func(c *Config) { c.Admission.Headroom = 2 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("bad config %d accepted", i)
		} else if _, err2 := New[int](c); err2 == nil {
			t.Errorf("New accepted bad config %d", i)
		}
	}
	var zero Config
	if err := zero.Validate(); err != nil || zero.Capacity != defaultCapacity || zero.ShedDepth != defaultCapacity-defaultCapacity/8 || zero.Classes[Low].Cost <= 0 {
		t.Fatalf("zero config: %v %+v", err, zero)
	}
	if _, err := New[int](DefaultConfig(), WithClock(nil)); err == nil {
		t.Error("nil clock accepted")
	}
	s, _ := newTest[int](t, DefaultConfig())
	if err := s.SetTenant("x", TenantConfig{Weight: -2}); err == nil {
		t.Error("negative weight accepted")
	}
	if err := s.Reconfigure(Config{Capacity: -5}); err == nil {
		t.Error("Reconfigure accepted a bad config")
	}
}
