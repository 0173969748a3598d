package learn

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/ltl"
)

// Rule is a safety rule: a temporal-logic formula (pkg/ltl syntax: Spot's operators plus
// bounded F[lo,hi], G[lo,hi], U[lo,hi] with step or time bounds such as F[1ms,60m]) that the
// history of one key's events (its applied changes and evaluations, oldest first, at most
// WithHistory events) followed by the proposed change must satisfy under finite-trace (LTLf)
// semantics. A proposal is rejected when the monitor's verdict on that trace is false or
// presumably false. Each event carries its time, so time-bounded operators measure real time
// (1 ms resolution).
//
// The atoms, true at an event when:
//
//	change        it is a change of the key (applied, or the proposal under check)
//	proposed      it is the proposal under check (the last event)
//	rollback      it is a change that rolls back an earlier one
//	eval          it is an evaluation of the key's last change
//	improved      it is an evaluation that found the change helped
//	degraded      it is an evaluation that found the change made things worse
//	up, down      it is a numeric change that raised / lowered the value
//	flip          it is a numeric change opposite in direction to the key's previous one
//	meta          it is a change made by level 3 or above
//	operator      it is a change made by an operator (level 0)
//	below_floor   it is a change to a number below Floor
//	above_ceiling it is a change to a number above Ceiling
//	too_many      it is a change (not a rollback) and, counting it, more than Max such changes
//	              fall in the Window ending at it
//
// too_many exists because pkg/ltl's bounded operators measure each window from the event where
// the operator is evaluated, so nesting them ("n+1 changes, each within an hour of the
// previous") describes a drifting window, not "at most n in any hour"; the count is made here and
// the formula says what to do with it. For n = 1 the timed formula of RateRule needs no count.
type Rule struct {
	Name    string
	Keys    string // the keys it applies to, as in Bound.Key; "" for all
	Formula string
	Floor   float64       // for below_floor
	Ceiling float64       // for above_ceiling
	Window  time.Duration // for too_many
	Max     int           // for too_many
}

// Rule atoms, in bit order of ruleVal.
const (
	atomChange = iota
	atomProposed
	atomRollback
	atomEval
	atomImproved
	atomDegraded
	atomUp
	atomDown
	atomFlip
	atomMeta
	atomOperator
	atomBelowFloor
	atomAboveCeiling
	atomTooMany
	numRuleAtoms
)

var ruleAtomNames = [numRuleAtoms]string{
	"change", "proposed", "rollback", "eval", "improved", "degraded", "up", "down", "flip",
	"meta", "operator", "below_floor", "above_ceiling", "too_many",
}

type compiledRule struct {
	rule Rule
	c    *ltl.Compiled
	bit  [numRuleAtoms]ltl.Valuation // the formula's bit for each atom, 0 if unused
	uses uint32                      // set of atoms the formula uses
}

func compileRule(r Rule) (*compiledRule, error) {
	f, err := ltl.Parse(r.Formula)
	if err != nil {
		return nil, fmt.Errorf("%w: rule %q: %w", ErrFormula, r.Name, err)
	}
	c, err := ltl.Compile(f)
	if err != nil {
		return nil, fmt.Errorf("%w: rule %q: %w", ErrFormula, r.Name, err)
	}
	cr := &compiledRule{rule: r, c: c}
	for i, a := range c.Atoms() {
		j := slices.Index(ruleAtomNames[:], a)
		if j < 0 {
			return nil, fmt.Errorf("%w: rule %q: unknown atom %q (known: %s)", ErrFormula, r.Name, a, strings.Join(ruleAtomNames[:], ", "))
		}
		cr.bit[j] = 1 << i
		cr.uses |= 1 << j
	}
	if cr.uses&(1<<atomTooMany) != 0 && (r.Window <= 0 || r.Max < 1) {
		return nil, fmt.Errorf("%w: rule %q uses too_many but has no Window and Max", ErrFormula, r.Name)
	}
	if cr.uses&(1<<atomBelowFloor|1<<atomAboveCeiling) != 0 && (math.IsNaN(r.Floor) || math.IsNaN(r.Ceiling)) {
		return nil, fmt.Errorf("%w: rule %q: NaN floor or ceiling", ErrFormula, r.Name)
	}
	return cr, nil
}

// ruleTrace walks a key's events computing the atoms that depend on earlier events.
type ruleTrace struct {
	lastDir int
	recent  []time.Time // times of non-rollback changes, for too_many
}

func (r *compiledRule) valuation(tr *ruleTrace, e *Event) ltl.Valuation {
	var v ltl.Valuation
	set := func(a int, on bool) {
		if on {
			v |= r.bit[a]
		}
	}
	set(atomChange, e.Change)
	set(atomProposed, e.Proposed)
	set(atomEval, e.Eval)
	set(atomImproved, e.Eval && e.Improved)
	set(atomDegraded, e.Eval && e.Degraded)
	if e.Change {
		set(atomRollback, e.Rollback)
		set(atomUp, e.Dir > 0)
		set(atomDown, e.Dir < 0)
		set(atomFlip, e.Dir != 0 && tr.lastDir != 0 && e.Dir != tr.lastDir)
		set(atomMeta, e.Level >= 3)
		set(atomOperator, e.Level == 0)
		set(atomBelowFloor, e.Value < r.rule.Floor)
		set(atomAboveCeiling, e.Value > r.rule.Ceiling)
		if e.Dir != 0 {
			tr.lastDir = e.Dir
		}
		if !e.Rollback && r.uses&(1<<atomTooMany) != 0 {
			tr.recent = append(tr.recent, e.Time)
			from := e.Time.Add(-r.rule.Window)
			n := 0
			for _, t := range tr.recent {
				if t.After(from) {
					n++
				}
			}
			set(atomTooMany, n > r.rule.Max)
		}
	}
	return v
}

// check runs the rule's monitor over the key's history and the proposed event.
func (r *compiledRule) check(key string, h *history, prop *Event) error {
	m := r.c.NewMonitor()
	var tr ruleTrace
	var origin time.Time
	if h.n > 0 {
		origin = h.at(0).Time
	} else {
		origin = prop.Time
	}
	// Events of one key are kept at least 1 ms apart, ties broken by order, so that timed
	// formulas (whose resolution is 1 ms and which cannot tell events at one instant apart by
	// time) see every later event as later.
	at := time.Duration(-1)
	step := func(e *Event) ltl.Verdict {
		at = max(e.Time.Sub(origin), at+time.Millisecond)
		return m.StepAt(r.valuation(&tr, e), at)
	}
	for i := 0; i < h.n; i++ {
		step(h.at(i))
	}
	verdict := step(prop)
	if verdict.Holds() {
		return nil
	}
	return &ConstraintError{Rule: r.rule.Name, Key: key,
		Reason: fmt.Sprintf("%s is %s on the key's last %d events followed by this change", r.rule.Formula, verdict, h.n)}
}

// RateRule limits the changes of each key matching keys to max in any window (a change counts
// in the windows (t-window, t] that contain it); rollbacks are exempt. For max = 1 it is the
// timed formula
//
//	G((change & !rollback) -> !F[1ms,window-1ms](change & !rollback))
//
// (no second change less than a window after one). For max > 1 it is G !too_many, with the count
// made here (see Rule). window must be at least 2 ms and at most a day (pkg/ltl's bound limit).
func RateRule(name, keys string, max int, window time.Duration) Rule {
	if max == 1 {
		return Rule{Name: name, Keys: keys,
			Formula: fmt.Sprintf("G((change & !rollback) -> !F[1ms,%dms](change & !rollback))", window.Milliseconds()-1)}
	}
	return Rule{Name: name, Keys: keys, Formula: "G !too_many", Window: window, Max: max}
}

// EvaluateFirstRule requires every change (other than a rollback) of a key to be evaluated
// before the key changes again; a rollback may come before the evaluation:
//
//	G((change & !rollback) -> N((!change | rollback) W eval))
//
// N is the weak next (true at the last event), W the weak until.
func EvaluateFirstRule(name, keys string) Rule {
	return Rule{Name: name, Keys: keys, Formula: "G((change & !rollback) -> N((!change | rollback) W eval))"}
}

// FloorRule forbids any change of a matching key to a value below floor: G !below_floor.
func FloorRule(name, keys string, floor float64) Rule {
	return Rule{Name: name, Keys: keys, Formula: "G !below_floor", Floor: floor}
}
