package ltl

import "time"

// Event is one event of a recorded trace: a valuation and, for timed formulas, its time
// (any fixed origin, non-decreasing).
type Event struct {
	V Valuation
	T time.Duration
}

// Relevant is one event of an explanation's slice: the atoms of event Index whose values
// (Values, restricted to Atoms) the verdict depends on.
type Relevant struct {
	Index  int
	Atoms  Valuation
	Values Valuation
}

// Explanation justifies the verdict of a trace.
//
// Verdict is the first definitive verdict of the online monitor, at event At; if there is
// none, it is the presumable verdict at the end (the LTLf value) and At is the last index.
// Slice is a minimal relevant slice: a set of (event, atom) values such that every trace with
// the same length up to At, the same timestamps and these values, whatever the other atoms
// are, gets the same verdict at At. It is irreducible: freeing any one listed value breaks
// that (a counterexample when the verdict is false, a witness when true). Minimisation covers
// the MaxExplain events before At; earlier events are listed whole.
type Explanation struct {
	Verdict Verdict
	At      int
	Slice   []Relevant
}

// MaxExplain is the number of events before the decision that Explain minimises.
const MaxExplain = 4096

// maxExplainSet bounds the set of states tracked while checking a candidate slice; a check
// that exceeds it counts as failed, which keeps the value in the slice (sound, maybe larger).
const maxExplainSet = 4096

// Explain runs trace and explains its verdict. It returns the zero Explanation with At = -1
// for an empty trace.
func (c *Compiled) Explain(trace []Event) Explanation {
	if len(trace) == 0 {
		return Explanation{At: -1, Verdict: c.Decided(0)}
	}
	// Concrete run: run[j] is the state before event j.
	run := make([]StateID, len(trace)+1)
	deltas := make([]time.Duration, len(trace))
	at, verdict := len(trace)-1, Verdict(0)
	decided := false
	lastMs := int64(0)
	for j, e := range trace {
		// Match Monitor.StepAt: whole milliseconds, a time going back counts as no delay.
		if ms := e.T.Milliseconds(); j == 0 || ms > lastMs {
			if j > 0 {
				deltas[j] = time.Duration(ms-lastMs) * time.Millisecond
			}
			lastMs = ms
		}
		run[j+1] = c.NextAt(run[j], e.V, deltas[j])
		if v := c.Decided(run[j+1]); v.Definitive() {
			at, verdict, decided = j, v, true
			break
		}
	}
	if !decided {
		verdict = c.Decided(run[at+1])
	}
	ok := func(x StateID) bool {
		if decided {
			return c.Decided(x) == verdict
		}
		return c.Accepting(x) == verdict.Holds()
	}
	all := c.vmask()
	free := make([]Valuation, at+1)
	// check reports whether the verdict at `at` survives the freed values, given that only
	// events from j on have any (so the run up to j is the concrete one).
	check := func(j int) bool {
		set := map[StateID]struct{}{run[j]: {}}
		for e := j; e <= at; e++ {
			next := make(map[StateID]struct{}, len(set))
			for x := range set {
				fm := free[e] & c.StateAtoms(x)
				if popcount(uint64(fm)) > 16 {
					return false
				}
				base := trace[e].V &^ fm
				for sub := Valuation(0); ; sub = (sub - fm) & fm {
					next[c.NextAt(x, base|sub, deltas[e])] = struct{}{}
					if sub == fm {
						break
					}
				}
				if len(next) > maxExplainSet {
					return false
				}
			}
			set = next
			if _, same := set[run[e+1]]; same && len(set) == 1 {
				return true // back on the concrete run, which has the verdict
			}
		}
		for x := range set {
			if !ok(x) {
				return false
			}
		}
		return true
	}
	lo := max(0, at-MaxExplain+1)
	for j := at; j >= lo; j-- {
		free[j] = all
		if check(j) {
			continue
		}
		free[j] = 0
		for b := 0; b < c.k; b++ {
			free[j] |= 1 << uint(b)
			if !check(j) {
				free[j] &^= 1 << uint(b)
			}
		}
	}
	ex := Explanation{Verdict: verdict, At: at}
	for j := 0; j <= at; j++ {
		if m := all &^ free[j]; m != 0 {
			ex.Slice = append(ex.Slice, Relevant{Index: j, Atoms: m, Values: trace[j].V & m})
		}
	}
	return ex
}
