package sched

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// quietConfig is a configuration without limits, shedding or default deadlines, so tests see
// pure policy order.
func quietConfig(p Policy) Config {
	c := DefaultConfig()
	c.Policy = p
	for i := range c.Classes {
		cc := &c.Classes[i]
		cc.Budget, cc.ShedAfter, cc.ShedLate, cc.DelayAfter = 0, 0, false, 0
		cc.Protected = true
	}
	return c
}

func newTest[T any](t testing.TB, cfg Config) (*Scheduler[T], *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	s, err := New[T](cfg, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func mustSubmit[T any](t testing.TB, s *Scheduler[T], it Item[T]) {
	t.Helper()
	if err := s.Submit(it); err != nil {
		t.Fatalf("submit %s/%d: %v", it.Stream, it.Seq, err)
	}
}

func isSeqErr(err error, dup bool) bool {
	var se *SeqError
	if !errors.As(err, &se) || se.Duplicate != dup {
		return false
	}
	if dup {
		return errors.Is(err, ErrDuplicate)
	}
	return errors.Is(err, ErrOutOfOrder)
}
