package sched

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Response describes a new response for Open.
type Response struct {
	Stream string
	Tenant string
	Class  Class
	// Budget is the per-item deadline counted from each item's submission, for items that
	// carry no Deadline. 0 means the class's Budget.
	Budget time.Duration
	// Period is the expected gap between chunks, used by admission control until the
	// response's own gaps are observed. 0 means the class's Period.
	Period time.Duration
}

// Decision is the outcome of admission control.
type Decision uint8

// Decisions.
const (
	Admit   Decision = iota // admitted at the requested class
	Degrade                 // admitted at a lower class (Admission.Class)
	Reject                  // refused; Admission.Reason says why
)

func (d Decision) String() string {
	switch d {
	case Admit:
		return "admit"
	case Degrade:
		return "degrade"
	}
	return "reject"
}

// Admission is an admission decision with its reason.
type Admission struct {
	Decision Decision
	Class    Class  // the class granted (the requested one unless degraded)
	Reason   string // human-readable: the test, utilisation and bound
	// Utilization is the load the test compared with Bound, counting the new response
	// (0 when no test applied).
	Utilization float64
	Bound       float64
}

// harmonicLimit is the most periods the harmonic test examines; beyond it the Liu & Layland
// bound is used, which is always safe.
const harmonicLimit = 256

// harmonicTol is the relative tolerance for "divides": observed periods are noisy EWMAs.
const harmonicTol = 0.01

// LiuLaylandBound returns n(2^(1/n) − 1), the utilisation up to which n periodic tasks with
// deadlines equal to their periods are always schedulable by rate-monotonic priorities (Liu &
// Layland, JACM 1973). It is 1 for n ≤ 1.
func LiuLaylandBound(n int) float64 {
	if n <= 1 {
		return 1
	}
	f := float64(n)
	return f * (math.Exp2(1/f) - 1)
}

// Harmonic reports whether every period divides every longer one (within 1 %), in which
// case rate-monotonic scheduling is feasible up to utilisation 1. It sorts periods in place.
func Harmonic(periods []float64) bool {
	slices.Sort(periods)
	for i := 1; i < len(periods); i++ {
		if periods[i-1] <= 0 {
			return false
		}
		q := periods[i] / periods[i-1]
		if math.Abs(q-math.Round(q)) > harmonicTol*math.Round(q) {
			return false
		}
	}
	return true
}

// Open opens a response and decides whether to admit it. With admission control enabled and
// the response's class Guaranteed, the schedulability test of the current policy must hold
// with the response added (utilisation = estimated cost / period per response):
//   - EDF, LLF: U ≤ 1 (both are optimal on one processor with deadlines equal to periods);
//   - rate-monotonic: U ≤ n(2^(1/n) − 1) for n admitted responses, or U ≤ 1 if all periods
//     are harmonic;
//   - fixed priority: the utilisation of the response's class and all more important classes
//     ≤ 1, so the admitted classes above it keep their service and overload lands below.
//
// Bounds are scaled by Admission.Headroom. If the test fails the response is degraded to the
// first lower class that passes (or is not Guaranteed), unless NoDegrade; failing that it is
// rejected. Opening a stream that is already open returns Admit at its current class. Errors
// are for bad arguments (*InvalidError) and a full tenant table (*CapacityError).
func (s *Scheduler[T]) Open(spec Response) (Admission, error) {
	if spec.Stream == "" || len(spec.Stream) > MaxNameLen {
		return Admission{}, &InvalidError{Field: "response.stream", Reason: "empty or longer than " + strconv.Itoa(MaxNameLen) + " bytes"}
	}
	if len(spec.Tenant) > MaxNameLen {
		return Admission{}, &InvalidError{Field: "response.tenant", Reason: "longer than " + strconv.Itoa(MaxNameLen) + " bytes"}
	}
	if !spec.Class.Valid() {
		return Admission{}, &InvalidError{Field: "response.class", Reason: spec.Class.String() + " is not a class"}
	}
	if spec.Budget < 0 || spec.Budget > MaxBudget {
		return Admission{}, &InvalidError{Field: "response.budget", Reason: spec.Budget.String() + " is outside 0.." + MaxBudget.String()}
	}
	if spec.Period < 0 || spec.Period > MaxBudget {
		return Admission{}, &InvalidError{Field: "response.period", Reason: spec.Period.String() + " is outside 0.." + MaxBudget.String()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open(spec, s.now())
}

func (s *Scheduler[T]) open(spec Response, now int64) (Admission, error) {
	if r := s.resp[spec.Stream]; r != nil {
		return Admission{Decision: Admit, Class: r.class, Reason: "already open"}, nil
	}
	period := float64(spec.Period)
	if period == 0 {
		period = float64(s.cfg.Classes[spec.Class].Period)
	}
	var a Admission
	if s.nOpen >= s.cfg.Admission.MaxResponses {
		a = Admission{Decision: Reject, Class: spec.Class, Reason: "open responses at the limit of " + strconv.Itoa(s.cfg.Admission.MaxResponses)}
	} else {
		a = s.decide(spec.Class, period)
	}
	if a.Decision == Reject {
		s.cls[spec.Class].st.rejected++
		return a, nil
	}
	t, err := s.getTenant(spec.Tenant, now)
	if err != nil {
		return Admission{}, err
	}
	var r *response[T]
	if k := len(s.free); k > 0 {
		r = s.free[k-1]
		s.free[k-1] = nil
		s.free = s.free[:k-1]
		ring := r.ring
		*r = response[T]{ring: ring}
	} else {
		r = &response[T]{}
	}
	r.stream, r.tenant, r.class = spec.Stream, t, a.Class
	r.budget = int64(spec.Budget)
	r.hidx, r.sidx, r.aidx = -1, -1, -1
	r.period = period
	r.lastSubmit = -1
	r.lastActive = now
	t.refs++
	s.resp[spec.Stream] = r
	s.nOpen++
	s.track(r)
	q := &s.cls[a.Class]
	q.st.opened++
	switch a.Decision {
	case Admit:
		s.cls[a.Class].st.admitted++
	case Degrade:
		s.cls[spec.Class].st.degradedOut++
		q.st.degradedIn++
	}
	if s.cfg.Admission.Enabled && s.cfg.Classes[a.Class].Guaranteed {
		r.guaranteed = true
		r.inv = 1 / period
		q.invSum += r.inv
		q.nAdm++
		r.aidx = len(s.admitted)
		s.admitted = append(s.admitted, r)
	}
	return a, nil
}

func (s *Scheduler[T]) unadmit(r *response[T]) {
	if !r.guaranteed {
		return
	}
	q := &s.cls[r.class]
	q.invSum -= r.inv
	if q.nAdm--; q.nAdm == 0 {
		q.invSum = 0 // no drift left behind by float rounding
	}
	last := len(s.admitted) - 1
	s.admitted[r.aidx] = s.admitted[last]
	s.admitted[r.aidx].aidx = r.aidx
	s.admitted[last] = nil
	s.admitted = s.admitted[:last]
	r.guaranteed, r.inv, r.aidx = false, 0, -1
}

// decide runs the admission test for a new response of class c with period p (ns).
func (s *Scheduler[T]) decide(c Class, p float64) Admission {
	if !s.cfg.Admission.Enabled || !s.cfg.Classes[c].Guaranteed {
		return Admission{Decision: Admit, Class: c, Reason: "no admission test for this class"}
	}
	a := s.test(c, p)
	if a.Decision == Admit {
		return a
	}
	if s.cfg.Admission.NoDegrade {
		return a
	}
	for l := c + 1; l < NumClasses; l++ {
		if !s.cfg.Classes[l].Guaranteed {
			return Admission{Decision: Degrade, Class: l, Reason: "degraded to best-effort class " + l.String() + ": " + a.Reason}
		}
		if b := s.test(l, p); b.Decision == Admit {
			b.Decision = Degrade
			b.Reason = "degraded from " + c.String() + ": " + b.Reason
			return b
		}
	}
	return a
}

// test checks one class; Decision is Admit or Reject.
func (s *Scheduler[T]) test(c Class, p float64) Admission {
	h := s.cfg.Admission.Headroom
	u := s.cls[c].cost / p
	var total float64
	n := 1
	for l := range s.cls {
		q := &s.cls[l]
		if !s.cfg.Classes[l].Guaranteed {
			continue
		}
		if s.cfg.Policy == FixedPriority && l > int(c) {
			continue
		}
		total += q.cost * q.invSum
		n += q.nAdm
	}
	total += u
	var bound float64
	var name string
	switch s.cfg.Policy {
	case RateMonotonic:
		bound, name = LiuLaylandBound(n), "rate-monotonic Liu-Layland bound"
		if n <= harmonicLimit && s.harmonicWith(p) {
			bound, name = 1, "rate-monotonic harmonic periods"
		}
	case FixedPriority:
		bound, name = 1, "fixed-priority utilisation of "+c.String()+" and above"
	default:
		bound, name = 1, s.cfg.Policy.String()+" utilisation"
	}
	bound *= h
	a := Admission{Class: c, Utilization: total, Bound: bound}
	rel := "≤"
	if total > bound {
		a.Decision, rel = Reject, ">"
	}
	a.Reason = name + ": U = " + strconv.FormatFloat(total, 'f', 4, 64) + " " + rel + " " + strconv.FormatFloat(bound, 'f', 4, 64) +
		" with " + strconv.Itoa(n) + " responses"
	return a
}

func (s *Scheduler[T]) harmonicWith(p float64) bool {
	s.scratch = s.scratch[:0]
	for _, r := range s.admitted {
		s.scratch = append(s.scratch, r.period)
	}
	s.scratch = append(s.scratch, p)
	return Harmonic(s.scratch)
}
