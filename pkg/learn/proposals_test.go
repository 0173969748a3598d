package learn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func observe(t *testing.T, l *Learner, id string, score float64, flagged bool) {
	t.Helper()
	o := &Observation{Stream: id, Tenant: "t", Model: "m",
		Verdicts: []Verdict{{Analyser: "verifier", Rule: "pii", Score: score, Flagged: flagged, At: -1}}}
	if err := l.Observe(o); err != nil {
		t.Fatal(err)
	}
}

func TestFeedbackBadInput(t *testing.T) {
	clk := newFakeClock()
	l, err := NewLearner(NewConfig(nil), WithClock(clk.now), WithFeedbackRate(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		observe(t, l, fmt.Sprint("s", i), 0.9, true)
	}
	cases := []struct {
		f    Feedback
		want error
	}{
		{Feedback{Stream: "nope", Analyser: "verifier", Rule: "pii", Label: LabelTruePositive}, ErrUnknownStream},
		{Feedback{Stream: "s0", Analyser: "compare", Rule: "pii", Label: LabelTruePositive}, ErrUnknownRule},
		{Feedback{Stream: "s0", Analyser: "verifier", Rule: "other", Label: LabelTruePositive}, ErrUnknownRule},
		{Feedback{Stream: "s0", Analyser: "verifier", Rule: "pii", Label: "maybe"}, ErrInvalid},
		{Feedback{Stream: "", Analyser: "verifier", Label: LabelTruePositive}, ErrInvalid},
		{Feedback{Stream: strings.Repeat("x", MaxNameLen+1), Analyser: "verifier", Label: LabelTruePositive}, ErrTooLarge},
	}
	for _, c := range cases {
		if err := l.Feedback(&c.f); !errors.Is(err, c.want) {
			t.Errorf("%+v: got %v, want %v", c.f, err, c.want)
		}
	}
	fb := func(s string, lb Label) error {
		return l.Feedback(&Feedback{Stream: s, Analyser: "verifier", Rule: "pii", Label: lb})
	}
	if err := fb("s0", LabelTruePositive); err != nil {
		t.Fatal(err)
	}
	if err := fb("s0", LabelTruePositive); !errors.Is(err, ErrDuplicateLabel) {
		t.Errorf("duplicate: %v", err)
	}
	// A contradicting label replaces the earlier one.
	if err := fb("s0", LabelFalsePositive); err != nil {
		t.Fatal(err)
	}
	lc := l.Knowledge().Baseline("t", "m").Labels[RuleKey{"verifier", "pii"}]
	if lc.TP != 0 || lc.FP != 1 {
		t.Errorf("after correction TP=%d FP=%d, want 0 and 1", lc.TP, lc.FP)
	}
	// Burst 3 is used up (two labels above plus this one); the fourth within the same instant
	// floods.
	if err := fb("s1", LabelTruePositive); err != nil {
		t.Fatal(err)
	}
	if err := fb("s2", LabelTruePositive); !errors.Is(err, ErrFlood) {
		t.Errorf("flood: %v", err)
	}
	clk.add(time.Second) // one token refills
	if err := fb("s2", LabelTruePositive); err != nil {
		t.Errorf("after refill: %v", err)
	}
	if lc.TP != 2 {
		t.Errorf("TP = %d, want 2 (flooded label not counted)", lc.TP)
	}
}

func TestStreamTableForgetsOldest(t *testing.T) {
	l, err := NewLearner(NewConfig(nil), WithLimits(4, 4, 3))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		observe(t, l, fmt.Sprint("s", i), 1, true)
	}
	err = l.Feedback(&Feedback{Stream: "s1", Analyser: "verifier", Rule: "pii", Label: LabelTruePositive})
	if !errors.Is(err, ErrUnknownStream) {
		t.Errorf("evicted stream: %v", err)
	}
	if err := l.Feedback(&Feedback{Stream: "s4", Analyser: "verifier", Rule: "pii", Label: LabelTruePositive}); err != nil {
		t.Error(err)
	}
}

func TestBaselineLimits(t *testing.T) {
	l, err := NewLearner(NewConfig(nil), WithLimits(1, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	o := &Observation{Stream: "a", Tenant: "t", Signals: []Signal{{"x", 1}, {"y", 2}, {"z", 3}}}
	if err := l.Observe(o); err != nil {
		t.Fatal(err)
	}
	if b := l.Knowledge().Baseline("t", ""); b.Dropped != 1 || len(b.Signals) != 2 {
		t.Errorf("dropped %d, signals %d", b.Dropped, len(b.Signals))
	}
	if err := l.Observe(&Observation{Stream: "b", Tenant: "u"}); !errors.Is(err, ErrCapacity) {
		t.Errorf("second tenant: %v", err)
	}
	if err := l.Observe(&Observation{Stream: "c", Signals: []Signal{{"x", math.NaN()}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN signal: %v", err)
	}
	if err := l.Observe(&Observation{Stream: "c", Tokens: make([]string, MaxTokens+1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many tokens: %v", err)
	}
}

func TestBoundsRejectWithRuleNamed(t *testing.T) {
	init := NewConfig(map[string]Value{"verifier/pii/threshold": Number(0.5)})
	l, err := NewLearner(init, WithBounds(Bound{Key: "verifier/*/threshold", Min: 0.2, Max: 0.95, MaxStep: 0.1}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		nv   float64
		rule string
	}{
		{0.1, "bounds:verifier/*/threshold"},
		{0.7, "step:verifier/*/threshold"},
	}
	for _, c := range cases {
		p, err := l.Propose(Modification{Level: 0, Key: "verifier/pii/threshold", Old: Number(0.5), New: Number(c.nv), Reason: "test"})
		var ce *ConstraintError
		if !errors.As(err, &ce) || ce.Rule != c.rule || !errors.Is(err, ErrUnsafe) {
			t.Fatalf("new %v: got %v, want rule %s", c.nv, err, c.rule)
		}
		if p.Status != StatusRejected || p.Rule != c.rule {
			t.Errorf("proposal %+v", p)
		}
	}
	p, err := l.Propose(Modification{Key: "verifier/pii/threshold", Old: Number(0.5), New: Number(0.55)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Apply(p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Apply(p.ID); !errors.Is(err, ErrState) {
		t.Errorf("second apply: %v", err)
	}
	// A proposal made against an old value is stale once another change has been applied.
	p2, _ := l.Propose(Modification{Key: "other", Old: Absent(), New: Number(1)})
	p3, _ := l.Propose(Modification{Key: "verifier/pii/threshold", Old: Number(0.5), New: Number(0.45)})
	if _, err := l.Apply(p3.ID); !errors.Is(err, ErrStale) {
		t.Errorf("stale apply: %v", err)
	}
	if _, err := l.Apply(p2.ID); err != nil {
		t.Error(err)
	}
	// Every rejection is in the audit trail with its rule.
	var rules []string
	for _, e := range l.Audit(1) {
		if e.Kind == AuditRejected {
			rules = append(rules, e.Rule)
		}
	}
	if strings.Join(rules, ",") != "bounds:verifier/*/threshold,step:verifier/*/threshold," {
		t.Errorf("rejections in audit: %q", rules)
	}
}

// shadowWorld is recorded responses with a score and the truth; the utility of a threshold
// decision is +1 when right, -1 when wrong.
type shadowWorld struct {
	score []float64
	viol  []bool
}

func newShadowWorld(n int, seed uint64) *shadowWorld {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &shadowWorld{}
	for range n {
		v := rng.Float64() < prevalence
		s := rng.NormFloat64()
		if v {
			s += scoreMu
		}
		w.score = append(w.score, s)
		w.viol = append(w.viol, v)
	}
	return w
}

func (w *shadowWorld) eval(cfg Config, i int) (float64, error) {
	th := cfg.Number("verifier/pii/threshold", math.NaN())
	if math.IsNaN(th) {
		return 0, errors.New("no threshold")
	}
	if (w.score[i] >= th) == w.viol[i] {
		return 1, nil
	}
	return -1, nil
}

func TestShadowEvaluation(t *testing.T) {
	w := newShadowWorld(1000, 3)
	init := NewConfig(map[string]Value{"verifier/pii/threshold": Number(0.3)})
	l, err := NewLearner(init)
	if err != nil {
		t.Fatal(err)
	}
	// Raising a far too strict threshold toward the Bayes boundary (≈ 2.0 here) helps.
	good, _ := l.Propose(Modification{Key: "verifier/pii/threshold", Old: Number(0.3), New: Number(1.8)})
	res, err := l.Shadow(good.ID, 1000, w.eval, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accept {
		t.Fatalf("improving change not accepted: %+v", res)
	}
	if _, err := l.Apply(good.ID); err != nil {
		t.Fatal(err)
	}
	// Moving it far past the boundary misses violations: shadow evaluation rejects it, and it
	// is never applied.
	bad, _ := l.Propose(Modification{Key: "verifier/pii/threshold", Old: Number(1.8), New: Number(4.5)})
	res, err = l.Shadow(bad.ID, 1000, w.eval, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accept || !res.Degrades {
		t.Fatalf("degrading change: %+v", res)
	}
	p, _ := l.Proposal(bad.ID)
	if p.Status != StatusRejected || p.Rule != "shadow" || p.Shadow == nil {
		t.Errorf("proposal after shadow: %+v", p)
	}
	if _, err := l.Apply(bad.ID); !errors.Is(err, ErrState) {
		t.Errorf("apply of rejected: %v", err)
	}
	if got := l.Config().Number("verifier/pii/threshold", 0); got != 1.8 {
		t.Errorf("threshold %v, want 1.8", got)
	}
	// A change smaller than the margin's worth is not accepted either.
	tiny, _ := l.Propose(Modification{Key: "verifier/pii/threshold", Old: Number(1.8), New: Number(1.81)})
	if res, _ := l.Shadow(tiny.ID, 1000, w.eval, 0.01); res.Accept {
		t.Errorf("tiny change accepted: %+v", res)
	}
	if _, err := ShadowCompare(init, init, 1, w.eval, 0); !errors.Is(err, ErrNumeric) {
		t.Errorf("n=1: %v", err)
	}
	if _, err := ShadowCompare(NewConfig(nil), init, 10, w.eval, 0); err == nil {
		t.Error("evaluator error not returned")
	}
}

// TestPairedTestReference checks ShadowCompare's t statistic against a hand computation:
// differences {1, 2, 3, 4} have mean 2.5, sd 1.290994, SE 0.645497; t(0.95, 3) = 2.353363
// (Student's t table), so the lower bound is 2.5 - 2.353363·0.645497 = 0.980911.
func TestPairedTestReference(t *testing.T) {
	d := []float64{1, 2, 3, 4}
	cur, prop := NewConfig(nil), NewConfig(map[string]Value{"p": Number(1)})
	eval := func(c Config, i int) (float64, error) {
		if c.Get("p").Kind == KindNumber {
			return 10 + d[i], nil
		}
		return 10, nil
	}
	r, err := ShadowCompare(cur, prop, 4, eval, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Lower-0.980911) > 1e-5 || !r.Accept || r.MeanDiff != 2.5 {
		t.Errorf("%+v", r)
	}
}

func TestRollbackAfterDegradation(t *testing.T) {
	clk := newFakeClock()
	init := NewConfig(map[string]Value{"attractor/loop/threshold": Number(0.5)})
	l, err := NewLearner(init, WithClock(clk.now), WithWatch(40, 0.05))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	const key = "attractor/loop/threshold"
	for range 100 {
		if ev, err := l.Outcome(key, 1+0.3*rng.NormFloat64()); err != nil || ev != nil {
			t.Fatal(ev, err)
		}
	}
	p, _ := l.Propose(Modification{Key: key, Old: Number(0.5), New: Number(0.8), Reason: "operator"})
	applied, err := l.Apply(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev *Evaluation
	for i := 0; ev == nil; i++ {
		clk.add(time.Second)
		ev, err = l.Outcome(key, 0.6+0.3*rng.NormFloat64())
		if err != nil {
			t.Fatal(err)
		}
		if i > 40 {
			t.Fatal("no evaluation after the watch window")
		}
	}
	if !ev.Degraded || ev.Revision != applied.Revision {
		t.Fatalf("evaluation %+v", ev)
	}
	pend := l.Pending()
	if len(pend) != 1 || !pend[0].Mod.Rollback || pend[0].Mod.RollbackOf != applied.Revision || !pend[0].Mod.New.Equal(Number(0.5)) {
		t.Fatalf("pending after degradation: %+v", pend)
	}
	if _, err := l.Apply(pend[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := l.Config().Number(key, 0); got != 0.5 {
		t.Errorf("after rollback %v", got)
	}
	if o, _ := l.Proposal(p.ID); o.Status != StatusRolledBack {
		t.Errorf("original status %v", o.Status)
	}
	if _, err := l.Rollback(applied.Revision); !errors.Is(err, ErrState) {
		t.Errorf("second rollback: %v", err)
	}
	// A change that does not degrade is kept.
	p2, _ := l.Propose(Modification{Key: key, Old: Number(0.5), New: Number(0.45)})
	if _, err := l.Apply(p2.ID); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		ev, _ = l.Outcome(key, 1.0+0.3*rng.NormFloat64())
	}
	if ev == nil || ev.Degraded || len(l.Pending()) != 0 {
		t.Errorf("neutral change: %+v, pending %d", ev, len(l.Pending()))
	}
	// Kinds in the trail, in order, for the first change.
	var kinds []string
	for _, e := range l.Audit(1) {
		kinds = append(kinds, e.Kind.String())
	}
	want := "proposed,applied,evaluated,proposed,applied,rolled_back,proposed,applied,evaluated"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("audit kinds\n got %s\nwant %s", got, want)
	}
	cfgs, err := Replay(l.Initial(), l.Audit(1))
	if err != nil || !cfgs[len(cfgs)-1].Equal(l.Config()) {
		t.Errorf("replay: %v", err)
	}
}

func TestManualRollbackAndReplayTamper(t *testing.T) {
	l, _ := NewLearner(NewConfig(map[string]Value{"k": Number(1)}))
	for i, v := range []float64{2, 3, 4} {
		p, _ := l.Propose(Modification{Key: "k", Old: Number(float64(i + 1)), New: Number(v)})
		if _, err := l.Apply(p.ID); err != nil {
			t.Fatal(err)
		}
	}
	rb, err := l.Rollback(2) // the change 2 -> 3
	if err != nil {
		t.Fatal(err)
	}
	if !rb.Mod.Old.Equal(Number(4)) || !rb.Mod.New.Equal(Number(2)) {
		t.Errorf("rollback mod %v", rb.Mod.String())
	}
	if _, err := l.Apply(rb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Rollback(99); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown revision: %v", err)
	}
	trail := l.Audit(1)
	cfgs, err := Replay(l.Initial(), trail)
	if err != nil {
		t.Fatal(err)
	}
	wantVals := []float64{1, 2, 3, 4, 2}
	for r, c := range cfgs {
		if c.Revision() != uint64(r) || c.Number("k", 0) != wantVals[r] {
			t.Errorf("revision %d: %v", r, c.Get("k"))
		}
	}
	for i := range trail {
		if trail[i].Kind == AuditApplied && trail[i].Revision == 3 {
			trail[i].Mod.Old = Number(99)
		}
	}
	if _, err := Replay(l.Initial(), trail); !errors.Is(err, ErrStale) {
		t.Errorf("tampered trail: %v", err)
	}
	if _, err := Replay(cfgs[1], nil); !errors.Is(err, ErrStale) {
		t.Errorf("replay from revision 1: %v", err)
	}
}

func TestPatternProposed(t *testing.T) {
	l, err := NewLearner(NewConfig(nil), WithMiner(MinerConfig{Counters: 256}),
		WithPatternPolicy(PatternPolicy{Prefix: "compare/patterns", Every: 100, MaxPerRun: 2, Remember: 64}))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 5000 {
		toks, at := plantedResponse(rng, i%10 == 0)
		o := &Observation{Stream: fmt.Sprint("s", i), Tenant: "acme", Model: "m1", Tokens: toks}
		if at >= 0 {
			o.Verdicts = []Verdict{{Analyser: "verifier", Rule: "jailbreak", Score: 1, Flagged: true, At: at}}
		}
		if err := l.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, p := range l.Pending() {
		if !strings.HasPrefix(p.Mod.Key, "compare/patterns/acme/m1/") || p.Mod.Level != 2 || p.Mod.New.Kind != KindText {
			t.Errorf("proposal %v", p.Mod.String())
		}
		got = append(got, p.Mod.New.Text)
	}
	if len(got) == 0 || got[0] != `["ignore","previous","instructions"]` {
		t.Errorf("planted trigram not proposed: %q", got)
	}
	for _, g := range got {
		if !strings.Contains(`["ignore","previous","instructions"]`, strings.Trim(g, "[]")) {
			t.Errorf("proposed %s, not part of the planted pattern", g)
		}
	}
	// Patterns already proposed are not proposed again.
	if again := l.MinePatterns("acme", "m1"); len(again) != 0 && again[0].Mod.New.Text == got[0] {
		t.Errorf("re-proposed %v", again[0].Mod.String())
	}
}

func TestMetaDampsOscillationAndRewardsConsistency(t *testing.T) {
	const key = "verifier/pii/threshold"
	mk := func(depth int) *Learner {
		l, err := NewLearner(NewConfig(map[string]Value{key: Number(1)}), WithDepth(depth),
			WithTargets(Target{Key: key, Analyser: "verifier", Rule: "pii", FPRate: 0.1, Direction: 1, Gain: 2, Evidence: 100}),
			WithMeta(MetaConfig{Rate: 0.5, MinGain: 0.01, MaxGain: 100, MinEvidence: 10, MaxEvidence: 1000, MinRate: 0.01, MaxRate: 2}))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := mk(4)
	// Level 2 changes alternate direction: at each flip level 3 damps the gain by e^-η3 and
	// raises the evidence by e^η3. Level 3's own changes (gain down, down, down) are consistent,
	// so level 4 raises η3 by e^(η4/2) = e^0.25 from the second one on.
	gain, ev, eta3 := 2.0, 100.0, 0.5
	var lastDir int
	for i, s := range []int{1, -1, 1, -1} {
		l.metaObserve(2, key, s, true, false)
		applyAll(t, l, nil)
		if i > 0 {
			gain *= math.Exp(-eta3)
			ev *= math.Exp(eta3)
			if lastDir == -1 {
				eta3 *= math.Exp(0.25)
			}
			lastDir = -1
		}
		if g := l.Config().Number(GainKey(key), 0); math.Abs(g-gain) > 1e-9 {
			t.Errorf("step %d: gain %v, want %v", i, g, gain)
		}
		if e := l.Config().Number(EvidenceKey(key), 0); math.Abs(e-ev) > 1e-6 {
			t.Errorf("step %d: evidence %v, want %v", i, e, ev)
		}
		if r := l.Config().Number(RateKey(key, 3), 0); math.Abs(r-eta3) > 1e-9 {
			t.Errorf("step %d: rate3 %v, want %v", i, r, eta3)
		}
	}
	// Consistent, useful changes: gain up by e^(η/2), evidence down by e^-η.
	l = mk(3)
	l.metaObserve(2, key, 1, true, false)
	l.metaObserve(2, key, 1, true, false)
	applyAll(t, l, nil)
	if g := l.Config().Number(GainKey(key), 0); math.Abs(g-2*math.Exp(0.25)) > 1e-9 {
		t.Errorf("consistent gain %v", g)
	}
	if e := l.Config().Number(EvidenceKey(key), 0); math.Abs(e-100*math.Exp(-0.5)) > 1e-9 {
		t.Errorf("consistent evidence %v", e)
	}
	// Depth 2 has no meta-policy at all.
	l = mk(2)
	l.metaObserve(2, key, 1, true, false)
	l.metaObserve(2, key, -1, true, false)
	if len(l.Pending()) != 0 {
		t.Errorf("depth 2 made meta proposals")
	}
}

func TestSummary(t *testing.T) {
	clk := newFakeClock()
	l := newThresholdLearner(t, clk, 3)
	rng := rand.New(rand.NewPCG(1, 99))
	runThreshold(t, l, clk, rng, 3000, 0.03, nil)
	s := l.Summary()
	if s.Revision != l.Config().Revision() || s.Depth != 3 || s.Baselines != 1 || len(s.Targets) != 1 {
		t.Fatalf("%+v", s)
	}
	if s.Applied != int(s.Revision) || s.AppliedByLevel[2] == 0 || s.AppliedByLevel[2]+s.AppliedByLevel[3] != s.Applied {
		t.Errorf("applied counts %+v", s)
	}
	if ts := s.Targets[0]; ts.Value != l.Config().Number("verifier/pii/threshold", 0) || ts.Proposals == 0 {
		t.Errorf("target status %+v", ts)
	}
}

func TestKnowledgeSummaries(t *testing.T) {
	l, err := NewLearner(NewConfig(nil), WithFeedbackRate(1e6, 1e6))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		id := fmt.Sprint("s", i)
		o := &Observation{Stream: id, Tenant: "t", Model: "m",
			Signals:  []Signal{{"tokens", float64(i + 1)}},
			Verdicts: []Verdict{{Analyser: "verifier", Rule: "pii", Score: float64(i) / 1000, Flagged: i%4 == 0, At: -1}}}
		if err := l.Observe(o); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			lb := LabelTruePositive
			if i%8 == 0 {
				lb = LabelFalsePositive
			}
			if err := l.Feedback(&Feedback{Stream: id, Analyser: "verifier", Rule: "pii", Label: lb}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ss := l.Knowledge().Summaries()
	if len(ss) != 1 || ss[0].Responses != 1000 || len(ss[0].Signals) != 1 || len(ss[0].Scores) != 1 {
		t.Fatalf("%+v", ss)
	}
	sig := ss[0].Signals[0]
	// tokens are 1..1000: the median (rank 499) is 500 and p99 (rank 989) is 990, each within 1%.
	if math.Abs(sig.P50-500) > 5 || math.Abs(sig.P99-990) > 9.9 || sig.Min != 1 || sig.Max != 1000 || sig.Mean != 500.5 {
		t.Errorf("signal summary %+v", sig)
	}
	fr := ss[0].FlagRates[0]
	if fr.Hits != 250 || fr.Trials != 1000 || !(fr.Lo < 0.25 && fr.Hi > 0.25) {
		t.Errorf("flag rate %+v", fr)
	}
	fp := ss[0].FPRates[0]
	if fp.Hits != 125 || fp.Trials != 250 || fp.P != 0.5 {
		t.Errorf("FP rate %+v", fp)
	}
}

func TestDepthSetsMetaKeys(t *testing.T) {
	for depth, want := range map[int][]string{2: nil, 3: nil, 4: {"rate3"}, 5: {"rate3", "rate4"}} {
		l, err := NewLearner(NewConfig(map[string]Value{thKey: Number(1)}), WithDepth(depth),
			WithTargets(Target{Key: thKey, Analyser: "verifier", Rule: "pii", FPRate: 0.1, Direction: 1, Gain: 1, Evidence: 10}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range l.Initial().Keys() {
			if i := strings.LastIndex(k, "/rate"); i >= 0 {
				got = append(got, k[i+1:])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("depth %d: rate keys %v, want %v", depth, got, want)
		}
		if l.Initial().Number(GainKey(thKey), 0) != 1 || l.Initial().Number(EvidenceKey(thKey), 0) != 10 {
			t.Errorf("depth %d: gain/evidence defaults missing", depth)
		}
	}
	if _, err := NewLearner(NewConfig(nil), WithDepth(6)); !errors.Is(err, ErrInvalid) {
		t.Errorf("depth 6: %v", err)
	}
	if _, err := NewLearner(NewConfig(nil), WithTargets(Target{Key: thKey, Analyser: "v", FPRate: 0.1, Direction: 1, Gain: 1, Evidence: 1})); !errors.Is(err, ErrInvalid) {
		t.Errorf("target key missing from config: %v", err)
	}
}
