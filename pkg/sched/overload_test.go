package sched

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func overloadConfig() Config {
	c := quietConfig(FixedPriority)
	for i := range c.Classes {
		c.Classes[i].Protected = false
	}
	c.Classes[Critical].Protected = true
	return c
}

// TestShedByDepthLowestFirst: above ShedDepth the lowest class goes first, and every shed item
// comes back from Dispatch before anything released.
func TestShedByDepthLowestFirst(t *testing.T) {
	cfg := overloadConfig()
	cfg.Capacity, cfg.ShedDepth = 20, 6
	s, _ := newTest[string](t, cfg)
	for i, c := range []Class{Low, Normal, Low, Critical, High, Normal, Low, Critical} {
		mustSubmit(t, s, Item[string]{Stream: c.String(), Seq: uint64(i), Class: c, Payload: c.String()})
	}
	rs := s.Dispatch(nil, 100)
	var shed, rel []string
	for _, r := range rs {
		if r.Outcome == Shed {
			if r.Reason != ReasonDepth || len(rel) > 0 {
				t.Fatalf("unexpected shed %+v after %d released", r, len(rel))
			}
			shed = append(shed, r.Payload)
		} else {
			rel = append(rel, r.Payload)
		}
	}
	// The 7th submit (a third low) and the 8th (critical) each push the depth to 7: the two
	// oldest low items go.
	if !slices.Equal(shed, []string{"low", "low"}) || len(rel) != 6 {
		t.Fatalf("shed %v released %v", shed, rel)
	}
	st := s.Stats()
	if st.Classes[Low].Shed[ReasonDepth] != 2 || st.Classes[Low].ShedTotal != 2 || st.Classes[Low].Released != 1 {
		t.Errorf("low stats %+v", st.Classes[Low])
	}
}

// TestQueueFull: at capacity a new item displaces a lower unprotected class; otherwise it is
// refused with a QueueFullError that says where and how full.
func TestQueueFull(t *testing.T) {
	cfg := overloadConfig()
	cfg.Capacity, cfg.ShedDepth, cfg.MaxPerResponse = 4, 4, 3
	cfg.Classes[Normal].Protected = true
	s, _ := newTest[string](t, cfg)
	mustSubmit(t, s, Item[string]{Stream: "n", Seq: 0, Class: Normal, Payload: "n0"})
	mustSubmit(t, s, Item[string]{Stream: "n", Seq: 1, Payload: "n1"})
	mustSubmit(t, s, Item[string]{Stream: "n", Seq: 2, Payload: "n2"})
	err := s.Submit(Item[string]{Stream: "n", Seq: 3})
	var qf *QueueFullError
	if !errors.Is(err, ErrQueueFull) || !errors.As(err, &qf) || !qf.PerResponse || qf.Capacity != 3 || qf.Stream != "n" {
		t.Fatalf("per-response limit: %v", err)
	}
	mustSubmit(t, s, Item[string]{Stream: "l", Class: Low, Payload: "l0"})
	// Full: a high item displaces the low one...
	mustSubmit(t, s, Item[string]{Stream: "h", Class: High, Payload: "h0"})
	// ...but with only protected normal and high left, a second high item is refused, and so is
	// a low one (nothing below it).
	err = s.Submit(Item[string]{Stream: "h", Seq: 1, Class: High})
	if !errors.As(err, &qf) || qf.PerResponse || qf.Depth != 5 || qf.Capacity != 4 || qf.Class != High {
		t.Fatalf("scheduler full: %v (%+v)", err, qf)
	}
	if err := s.Submit(Item[string]{Stream: "l2", Class: Low}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("low into a full queue: %v", err)
	}
	rs := s.Dispatch(nil, 10)
	if rs[0].Outcome != Shed || rs[0].Reason != ReasonCapacity || rs[0].Payload != "l0" || rs[0].Class != Low {
		t.Fatalf("first result %+v, want l0 shed for capacity", rs[0])
	}
	if got := payloads(rs[1:]); !slices.Equal(got, []string{"h0", "n0", "n1", "n2"}) {
		t.Fatalf("released %v", got)
	}
}

// TestDelayThenShedByWait: a rate-limited class is delayed first (items wait for tokens) and
// shed once its head has waited longer than ShedAfter.
func TestDelayThenShedByWait(t *testing.T) {
	cfg := overloadConfig()
	cfg.Classes[Low].Limit = &Rate{PerSecond: 10, Burst: 1} // one per 100 ms
	cfg.Classes[Low].ShedAfter = 250 * time.Millisecond
	cfg.Classes[Low].DelayAfter = 50 * time.Millisecond
	s, clk := newTest[int](t, cfg)
	for i := 0; i < 10; i++ {
		mustSubmit(t, s, Item[int]{Stream: "l", Seq: uint64(i), Class: Low, Payload: i})
	}
	var rel, shed []int
	for step := 0; step < 40; step++ { // 400 ms in 10 ms steps
		for _, r := range s.Dispatch(nil, 10) {
			if r.Outcome == Released {
				rel = append(rel, r.Payload)
			} else if r.Reason == ReasonWait {
				shed = append(shed, r.Payload)
			} else {
				t.Fatalf("unexpected %+v", r)
			}
		}
		clk.Advance(10 * time.Millisecond)
	}
	// Released at 0, 100, 200 ms (items 0, 1, 2); at 260 ms everything left has waited
	// more than 250 ms and is shed.
	if !slices.Equal(rel, []int{0, 1, 2}) || !slices.Equal(shed, []int{3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("released %v shed %v", rel, shed)
	}
	st := s.Stats().Classes[Low]
	if st.Delayed != 2 || st.Shed[ReasonWait] != 7 {
		t.Errorf("delayed %d (want 2: waits 0, 100, 200 ms against 50 ms), shed by wait %d", st.Delayed, st.Shed[ReasonWait])
	}
	// Wait quantiles: waits 0, 100 ms, 200 ms; the median is 100 ms within the histogram's error.
	if w := st.Wait; w.Count != 3 || w.Max != 200*time.Millisecond || absDur(w.P50-100*time.Millisecond) > time.Duration(float64(100*time.Millisecond)*HistRelErr) {
		t.Errorf("wait stats %+v", w)
	}
}

// TestShedLate: an item whose deadline can no longer be met is shed under ShedLate, released
// late (and counted as a miss) otherwise.
func TestShedLate(t *testing.T) {
	cfg := overloadConfig()
	cfg.Policy = EDF
	cfg.Classes[Low].ShedLate = true
	cfg.Classes[Low].Cost = 2 * time.Millisecond
	cfg.Classes[Normal].Cost = 2 * time.Millisecond
	s, clk := newTest[string](t, cfg)
	base := clk.Now()
	mustSubmit(t, s, Item[string]{Stream: "l", Class: Low, Deadline: base.Add(5 * time.Millisecond), Payload: "low"})
	mustSubmit(t, s, Item[string]{Stream: "n", Class: Normal, Deadline: base.Add(5 * time.Millisecond), Payload: "normal"})
	clk.Advance(4 * time.Millisecond) // now + cost = 6 ms > 5 ms
	rs := s.Dispatch(nil, 10)
	if len(rs) != 2 || rs[0].Payload != "low" || rs[0].Outcome != Shed || rs[0].Reason != ReasonDeadline ||
		rs[1].Payload != "normal" || rs[1].Outcome != Released || rs[1].Late {
		t.Fatalf("results %+v", rs)
	}
	mustSubmit(t, s, Item[string]{Stream: "n", Seq: 1, Deadline: base.Add(time.Millisecond), Payload: "n1"})
	rs = s.Dispatch(nil, 1)
	if len(rs) != 1 || !rs[0].Late || rs[0].Outcome != Released {
		t.Fatalf("late release %+v", rs)
	}
	if st := s.Stats(); st.Classes[Normal].DeadlineMisses != 1 || st.Classes[Low].Shed[ReasonDeadline] != 1 {
		t.Errorf("stats %+v", st.Classes)
	}
}

// TestDrain: every queued item comes back as shed on shutdown, including sleeping ones.
func TestDrain(t *testing.T) {
	s, clk := newTest[int](t, quietConfig(EDF))
	mustSubmit(t, s, Item[int]{Stream: "a", Payload: 1, Release: clk.Now().Add(time.Hour)})
	mustSubmit(t, s, Item[int]{Stream: "a", Seq: 1, Payload: 2})
	mustSubmit(t, s, Item[int]{Stream: "b", Payload: 3, Class: Low})
	rs := s.Drain(nil)
	if got := payloads(rs); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("drained %v", got)
	}
	for _, r := range rs {
		if r.Outcome != Shed || r.Reason != ReasonShutdown {
			t.Fatalf("%+v", r)
		}
	}
	if s.Len() != 0 {
		t.Fatal("not empty after Drain")
	}
}

func TestSubmitValidation(t *testing.T) {
	s, _ := newTest[int](t, quietConfig(EDF))
	for _, it := range []Item[int]{{Stream: ""}, {Stream: string(make([]byte, 300))}, {Stream: "x", Class: 4}} {
		if err := s.Submit(it); !errors.Is(err, ErrInvalid) {
			t.Errorf("Submit(%q, class %d) = %v", it.Stream[:min(len(it.Stream), 5)], it.Class, err)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestReconfigureSheds: lowering ShedDepth at run time sheds on the next Dispatch.
func TestReconfigureSheds(t *testing.T) {
	cfg := overloadConfig()
	s, clk := newTest[int](t, cfg)
	for i := 0; i < 10; i++ {
		mustSubmit(t, s, Item[int]{Stream: "l", Seq: uint64(i), Class: Low, Payload: i})
	}
	if err := s.Submit(Item[int]{Stream: "x", Class: Low, Deadline: clk.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deadline an hour ahead: %v", err)
	}
	cfg.ShedDepth = 4
	if err := s.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	rs := s.Dispatch(nil, 0)
	if len(rs) != 6 || rs[0].Reason != ReasonDepth || rs[0].Payload != 0 || s.Len() != 4 {
		t.Fatalf("after lowering ShedDepth: %d results, %d left", len(rs), s.Len())
	}
}
