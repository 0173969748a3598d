package sched

import "time"

// ClassStats are one class's statistics. Counters are cumulative since New.
type ClassStats struct {
	Depth     int    // items queued now
	Submitted uint64 // items accepted by Submit
	Released  uint64
	// Delayed counts released items that waited longer than the class's DelayAfter.
	Delayed uint64
	// DeadlineMisses counts released items whose deadline had passed; items shed because
	// their deadline could not be met are in Shed[ReasonDeadline].
	DeadlineMisses uint64
	Shed           [NumReasons]uint64 // by Reason; Shed[ReasonNone] is always 0
	ShedTotal      uint64
	Wait           WaitStats // of released items
	// Responses: opened in this class (including degraded into it), admitted at the requested
	// class, degraded into and out of it, rejected.
	Opened, Admitted, DegradedIn, DegradedOut, Rejected uint64
	// Admission state: guaranteed responses counted, their utilisation (cost × Σ 1/period),
	// and the current cost estimate.
	AdmittedNow int
	Utilization float64
	Cost        time.Duration
	Limited     bool    // the class has a token bucket
	Tokens      float64 // tokens in it now (0 if unlimited)
}

// Stats is a snapshot of the scheduler.
type Stats struct {
	Time      time.Time
	Policy    Policy
	Depth     int // items queued
	Pending   int // shed items not yet handed back by Dispatch
	Capacity  int
	Responses int // open
	Tenants   int
	Classes   [NumClasses]ClassStats
}

// ShedCount returns how many items of the class were shed for the reason.
func (c *ClassStats) ShedCount(r Reason) uint64 {
	if r >= NumReasons {
		return 0
	}
	return c.Shed[r]
}

// Snapshot fills st. Counters are maintained incrementally on every operation, so a snapshot
// only copies them and walks each class's wait histogram once (336 buckets); it holds the
// lock for about a microsecond and does not allocate.
func (s *Scheduler[T]) Snapshot(st *Stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st.Time = s.at(now)
	st.Policy = s.cfg.Policy
	st.Depth = s.depth
	st.Pending = len(s.out) - s.outHead
	st.Capacity = s.cfg.Capacity
	st.Responses = s.nOpen
	st.Tenants = len(s.tenants)
	for c := range s.cls {
		q := &s.cls[c]
		cs := &st.Classes[c]
		cs.Depth = q.depth
		cs.Submitted = q.st.submitted
		cs.Released = q.st.released
		cs.Delayed = q.st.delayed
		cs.DeadlineMisses = q.st.late
		cs.Shed = q.st.shed
		cs.ShedTotal = 0
		for _, v := range q.st.shed {
			cs.ShedTotal += v
		}
		cs.Wait = q.st.wait.summary()
		cs.Opened, cs.Admitted, cs.DegradedIn, cs.DegradedOut, cs.Rejected = q.st.opened, q.st.admitted, q.st.degradedIn, q.st.degradedOut, q.st.rejected
		cs.AdmittedNow = q.nAdm
		cs.Utilization = q.cost * q.invSum
		cs.Cost = time.Duration(q.cost)
		cs.Limited = q.bucket != nil
		cs.Tokens = 0
		if q.bucket != nil {
			tat := max(q.bucket.tat.Load(), now)
			cs.Tokens = float64(q.bucket.tau.Load()-(tat-now)) / float64(q.bucket.interval.Load())
		}
	}
}

// Stats returns a snapshot; see Snapshot.
func (s *Scheduler[T]) Stats() Stats {
	var st Stats
	s.Snapshot(&st)
	return st
}
