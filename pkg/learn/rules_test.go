package learn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/ltl"
)

const thKey = "verifier/pii/threshold"

func ruleLearner(t testing.TB, clk *fakeClock, rules ...Rule) *Learner {
	t.Helper()
	l, err := NewLearner(NewConfig(map[string]Value{thKey: Number(0.5)}), WithClock(clk.now), WithWatch(2, 0), WithRules(rules...))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func propose(l *Learner, nv float64) (Proposal, error) {
	return l.Propose(Modification{Key: thKey, Old: l.Config().Get(thKey), New: Number(nv), Reason: "test"})
}

func ruleOf(err error) string {
	var ce *ConstraintError
	if errors.As(err, &ce) {
		return ce.Rule
	}
	return ""
}

// evaluateNow records an evaluation of the key's last change through the outcome watch.
func evaluateNow(t *testing.T, l *Learner) {
	t.Helper()
	for range 2 {
		if _, err := l.Outcome(thKey, 1); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRulesRejectWithRuleNamed(t *testing.T) {
	clk := newFakeClock()
	l := ruleLearner(t, clk, FloorRule("threshold-floor", "verifier/*/threshold", 0.2),
		EvaluateFirstRule("evaluate-first", "verifier/*/threshold"),
		RateRule("one-per-hour", "verifier/*/threshold", 1, time.Hour))

	// A threshold never below its floor.
	p, err := propose(l, 0.1)
	if ruleOf(err) != "threshold-floor" || p.Status != StatusRejected || p.Rule != "threshold-floor" {
		t.Fatalf("floor: %v %+v", err, p)
	}
	p, err = propose(l, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Apply(p.ID); err != nil {
		t.Fatal(err)
	}
	// A change is followed by an evaluation before the next one.
	clk.add(2 * time.Hour)
	if _, err := propose(l, 0.7); ruleOf(err) != "evaluate-first" {
		t.Fatalf("no evaluation yet: %v", err)
	}
	evaluateNow(t, l)
	if _, err := propose(l, 0.7); err != nil {
		t.Fatalf("after evaluation, an hour later: %v", err)
	}
	l2 := ruleLearner(t, clk, EvaluateFirstRule("evaluate-first", "verifier/*/threshold"),
		RateRule("one-per-hour", "verifier/*/threshold", 1, time.Hour))
	p, _ = propose(l2, 0.6)
	if _, err := l2.Apply(p.ID); err != nil {
		t.Fatal(err)
	}
	clk.add(30 * time.Minute)
	evaluateNow(t, l2)
	// Never more than one change per hour (a timed LTL formula).
	if _, err := propose(l2, 0.7); ruleOf(err) != "one-per-hour" {
		t.Fatalf("30 minutes later: %v", err)
	}
	// A rollback is exempt from both rules.
	rb, err := l2.Rollback(1)
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if _, err := l2.Apply(rb.ID); err != nil {
		t.Fatal(err)
	}
	clk.add(31 * time.Minute)
	if _, err := propose(l2, 0.7); err != nil {
		t.Fatalf("61 minutes later: %v", err)
	}
	// Rejections are in the audit trail with the rule named.
	var named []string
	for _, e := range l2.Audit(1) {
		if e.Kind == AuditRejected {
			named = append(named, e.Rule)
		}
	}
	if fmt.Sprint(named) != "[one-per-hour]" {
		t.Errorf("audit rejections %v", named)
	}
	// Rules leave other keys alone.
	if _, err := l2.Propose(Modification{Key: "compare/other", Old: Absent(), New: Number(0)}); err != nil {
		t.Errorf("unrelated key: %v", err)
	}
}

func TestRuleCompileErrors(t *testing.T) {
	for _, r := range []Rule{
		{Name: "a", Formula: "G (change &"},
		{Name: "b", Formula: "G !nonsense"},
		{Name: "c", Formula: "G !too_many"},
		{Name: "d", Formula: "F[5,2] change"},
	} {
		if _, err := NewLearner(NewConfig(nil), WithRules(r)); !errors.Is(err, ErrFormula) {
			t.Errorf("%q: %v", r.Formula, err)
		}
	}
	_, err := NewLearner(NewConfig(nil), WithRules(Rule{Name: "a", Formula: "G (change &"}))
	if !errors.Is(err, ltl.ErrSyntax) {
		t.Errorf("syntax error not wrapped: %v", err)
	}
	if _, err := NewLearner(NewConfig(nil), WithRules(FloorRule("x", "", 0), FloorRule("x", "", 1))); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate names: %v", err)
	}
}

// naiveAllows is the reference for the three rule kinds, written directly from their English
// statements over the event list (history then the proposal).
func naiveAllows(kind string, evs []Event, floor float64, max int, window time.Duration) bool {
	last := len(evs) - 1
	switch kind {
	case "floor":
		for _, e := range evs {
			if e.Change && e.Value < floor {
				return false
			}
		}
	case "evaluate-first":
		for i, e := range evs {
			if !e.Change || e.Rollback {
				continue
			}
			for j := i + 1; j <= last; j++ {
				if evs[j].Eval {
					break
				}
				if evs[j].Change && !evs[j].Rollback {
					return false
				}
			}
		}
	case "rate":
		for i, e := range evs {
			if !e.Change || e.Rollback {
				continue
			}
			n := 0
			for _, f := range evs[:i+1] {
				if f.Change && !f.Rollback && e.Time.Sub(f.Time) < window {
					n++
				}
			}
			if n > max {
				return false
			}
		}
	}
	return true
}

// TestRulesMatchNaive checks the LTL-monitored rules against the naive reference on random
// histories (fixed seed): changes up and down, rollbacks, evaluations, at random gaps.
func TestRulesMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	window := 10 * time.Minute
	rules := map[string]Rule{
		"floor":          FloorRule("floor", "", 0.3),
		"evaluate-first": EvaluateFirstRule("evaluate-first", ""),
		"rate":           RateRule("rate", "", 3, window),
		"rate1":          RateRule("rate1", "", 1, window),
	}
	compiled := map[string]*compiledRule{}
	for k, r := range rules {
		cr, err := compileRule(r)
		if err != nil {
			t.Fatal(err)
		}
		compiled[k] = cr
	}
	disagreements := 0
	for trial := range 3000 {
		n := rng.IntN(12)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var h history
		var evs []Event
		v := 0.5
		for range n + 1 {
			now = now.Add(time.Duration(rng.IntN(8)) * time.Minute)
			var e Event
			if rng.IntN(3) == 0 {
				e = Event{Time: now, Eval: true, Improved: rng.IntN(2) == 0, Value: math.NaN()}
			} else {
				nv := v + (rng.Float64()-0.5)*0.6
				e = Event{Time: now, Change: true, Rollback: rng.IntN(5) == 0, Level: 2, Value: nv, Dir: sign(nv - v)}
				v = nv
			}
			evs = append(evs, e)
		}
		prop := evs[len(evs)-1]
		if !prop.Change {
			continue
		}
		prop.Proposed = true
		for _, e := range evs[:len(evs)-1] {
			h.push(e, 64)
		}
		for k, cr := range compiled {
			kind, max := k, 3
			if k == "rate1" {
				kind, max = "rate", 1
			}
			got := cr.check(thKey, &h, &prop) == nil
			want := naiveAllows(kind, evs, 0.3, max, window)
			if got != want {
				disagreements++
				if disagreements < 5 {
					t.Errorf("trial %d rule %s: ltl %v, naive %v, events %+v", trial, k, got, want, evs)
				}
			}
		}
	}
}

// FuzzRuleFormula: any formula text compiles to a rule or fails with ErrFormula, and a
// compiled rule checks a small history without panicking.
func FuzzRuleFormula(f *testing.F) {
	for _, s := range []string{"G !below_floor", "G((change & !rollback) -> !F[1ms,3600000ms](change & !rollback))",
		EvaluateFirstRule("", "").Formula, "G !too_many", "", "((((", "F[0,1] eval", "change U[0s,5m] eval", "X X X flip"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, err := compileRule(Rule{Name: "r", Formula: s, Window: time.Minute, Max: 2})
		if err != nil {
			if !errors.Is(err, ErrFormula) {
				t.Fatalf("error does not match ErrFormula: %v", err)
			}
			return
		}
		var h history
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h.push(Event{Time: t0, Change: true, Value: 1, Dir: 1}, 8)
		h.push(Event{Time: t0.Add(time.Second), Eval: true, Value: math.NaN()}, 8)
		_ = cr.check("k", &h, &Event{Time: t0.Add(time.Minute), Change: true, Proposed: true, Value: 0.5, Dir: -1})
	})
}

// TestPolicyUnderRules runs the threshold policy from a too lenient start (θ = 4, FP rate
// 0.003, target 0.05) with a floor above the target's root (θ* ≈ 2.33): the policy wants to go
// below the floor, the floor rule refuses, and no applied configuration ever breaks a rule.
func TestPolicyUnderRules(t *testing.T) {
	clk := newFakeClock()
	const floor = 3.1
	l, err := NewLearner(NewConfig(map[string]Value{thKey: Number(4)}), WithClock(clk.now), WithFeedbackRate(1e6, 1e6),
		WithTargets(Target{Key: thKey, Analyser: "verifier", Rule: "pii", FPRate: targetFDR, Direction: 1, Gain: 8, Evidence: 30}),
		WithBounds(Bound{Key: "verifier/*/threshold", Min: -1, Max: 6, MaxStep: 0.5}),
		WithRules(FloorRule("floor", "verifier/*/threshold", floor),
			EvaluateFirstRule("evaluate-first", "verifier/*/threshold"),
			RateRule("rate", "verifier/*/threshold", 1, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	runThreshold(t, l, clk, rng, 40000, 1, nil)
	var evs []Event
	rejected := map[string]int{}
	for _, e := range l.Audit(1) {
		switch {
		case e.Kind == AuditApplied && e.Mod.Key == thKey:
			evs = append(evs, Event{Time: e.Time, Change: true, Rollback: e.Mod.Rollback, Value: e.Mod.New.Num})
			for _, kind := range []string{"floor", "evaluate-first", "rate"} {
				if !naiveAllows(kind, evs, floor, 1, time.Hour) {
					t.Fatalf("applied change %d breaks %s", len(evs), kind)
				}
			}
		case e.Kind == AuditEvaluated && e.Eval.Key == thKey:
			evs = append(evs, Event{Time: e.Time, Eval: true})
		case e.Kind == AuditRejected:
			rejected[e.Rule]++
		}
	}
	theta := l.Config().Number(thKey, 0)
	t.Logf("θ = %.3f, %d changes, rejected %v", theta, len(evs), rejected)
	if rejected["floor"] == 0 {
		t.Error("the floor never had to refuse a proposal")
	}
	if theta < floor || theta > floor+0.5 {
		t.Errorf("θ = %v, want just above the floor %v", theta, floor)
	}
}

func TestRestoreFromAudit(t *testing.T) {
	clk := newFakeClock()
	opts := func() []Option {
		return []Option{WithClock(clk.now), WithFeedbackRate(1e6, 1e6),
			WithTargets(Target{Key: thKey, Analyser: "verifier", Rule: "pii", FPRate: targetFDR, Direction: 1, Gain: 8, Evidence: 30}),
			WithBounds(Bound{Key: "verifier/*/threshold", Min: -1, Max: 6, MaxStep: 0.5}),
			WithRules(EvaluateFirstRule("evaluate-first", "verifier/*/threshold"), RateRule("rate", "verifier/*/threshold", 1, 10*time.Minute))}
	}
	init := NewConfig(map[string]Value{thKey: Number(0)})
	l, err := NewLearner(init, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(51, 52))
	runThreshold(t, l, clk, rng, 3000, 1, nil)
	if s := l.Summary(); s.Revision < 3 || s.Rejected == 0 {
		t.Fatalf("scenario too thin to test restoring: %+v", s)
	}
	// One pending proposal at the time of the "restart".
	p, err := l.Propose(Modification{Key: "compare/x", Old: Absent(), New: Number(1)})
	if err != nil {
		t.Fatal(err)
	}
	trail := l.Audit(1)

	r, err := NewLearner(init, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(trail); err != nil {
		t.Fatal(err)
	}
	if !r.Config().Equal(l.Config()) {
		t.Fatal("restored configuration differs")
	}
	a, b := l.Proposals(), r.Proposals()
	if len(a) != len(b) {
		t.Fatalf("%d proposals restored, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Status != b[i].Status || a[i].Revision != b[i].Revision || a[i].Rule != b[i].Rule {
			t.Errorf("proposal %d: restored %+v, want %+v", a[i].ID, b[i], a[i])
		}
	}
	if pend := r.Pending(); len(pend) != 1 || pend[0].ID != p.ID {
		t.Errorf("pending after restore: %+v", pend)
	}
	// The rules see the same history: the same proposal gets the same answer, now and after
	// the rate window.
	m := Modification{Key: thKey, Old: l.Config().Get(thKey), New: Number(l.Config().Number(thKey, 0) + 0.1)}
	for range 2 {
		if e1, e2 := ruleOf(l.Check(m)), ruleOf(r.Check(m)); e1 != e2 {
			t.Errorf("check after restore: %q, original %q", e2, e1)
		}
		clk.add(11 * time.Minute)
	}
	if _, err := r.Apply(p.ID); err != nil {
		t.Errorf("apply restored pending proposal: %v", err)
	}
	if err := r.Restore(trail); !errors.Is(err, ErrState) {
		t.Errorf("second restore: %v", err)
	}
	bad := append([]AuditEntry(nil), trail...)
	bad[0].Seq = 7
	r2, _ := NewLearner(init, opts()...)
	if err := r2.Restore(bad); !errors.Is(err, ErrStale) {
		t.Errorf("bad sequence: %v", err)
	}
}
