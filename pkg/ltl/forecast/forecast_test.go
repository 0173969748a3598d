package forecast

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// ruin returns the probability that a gambler's-ruin walk on 0..n with up-probability p,
// started at i, hits 0 before n (Feller, An Introduction to Probability Theory and Its
// Applications, vol. 1, 3rd ed., ch. XIV.2): 1 − i/n for p = 1/2, else
// ((q/p)^i − (q/p)^n) / (1 − (q/p)^n).
func ruin(i, n int, p float64) float64 {
	if p == 0.5 {
		return 1 - float64(i)/float64(n)
	}
	r := (1 - p) / p
	return (math.Pow(r, float64(i)) - math.Pow(r, float64(n))) / (1 - math.Pow(r, float64(n)))
}

// ruinTrace simulates one walk: the states visited before absorption; violated = ruined.
func ruinTrace(r *rand.Rand, n int, p float64) Trace {
	s := 1 + r.Intn(n-1)
	var t Trace
	for s > 0 && s < n {
		t.States = append(t.States, s)
		if r.Float64() < p {
			s++
		} else {
			s--
		}
	}
	t.Violated = s == 0
	return t
}

func TestGamblersRuinConverges(t *testing.T) {
	for _, tc := range []struct {
		n      int
		p      float64
		traces int
		tol    float64
	}{
		// With 4000 walks every state is visited thousands of times; the binomial standard
		// error of each estimate is below 0.01, so 0.03 is a 3-sigma bound.
		{6, 0.5, 4000, 0.03},
		{8, 0.4, 4000, 0.03},
		{5, 0.65, 4000, 0.03},
	} {
		r := rand.New(rand.NewSource(int64(tc.n)))
		m := New(WithSmoothing(0.5))
		for i := 0; i < tc.traces; i++ {
			if err := m.Observe(ruinTrace(r, tc.n, tc.p)); err != nil {
				t.Fatal(err)
			}
		}
		f, err := m.Fit()
		if err != nil {
			t.Fatal(err)
		}
		for s := 1; s < tc.n; s++ {
			e := f.Predict(s, 0)
			want := ruin(s, tc.n, tc.p)
			if !e.Known || math.Abs(e.P-want) > tc.tol {
				t.Errorf("n=%d p=%v state %d: P=%.4f (known %v, %d visits), want %.4f ± %v", tc.n, tc.p, s, e.P, e.Known, e.Visits, want, tc.tol)
			}
		}
	}
}

func TestCalibratedOnHeldOut(t *testing.T) {
	const n, p = 8, 0.45
	r := rand.New(rand.NewSource(7))
	m := New()
	for i := 0; i < 4000; i++ {
		if err := m.Observe(ruinTrace(r, n, p)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := m.Fit()
	if err != nil {
		t.Fatal(err)
	}
	var held []Trace
	var truth []float64
	var outcome []bool
	for i := 0; i < 3000; i++ {
		tr := ruinTrace(r, n, p)
		held = append(held, tr)
		for _, s := range tr.States {
			truth = append(truth, ruin(s, n, p))
			outcome = append(outcome, tr.Violated)
		}
	}
	rep, err := Evaluate(f, held, 10)
	if err != nil {
		t.Fatal(err)
	}
	ideal, _ := Brier(truth, outcome)
	// The fitted forecast should score within 0.005 of the true probabilities' Brier score,
	// beat the base rate nearly as much as they do, and be calibrated: in every well-populated bin the observed
	// violation share is within 0.05 of the mean forecast (binomial 3-sigma for ≥ 500 samples
	// is ≤ 0.067; per-step samples of one trace are correlated, hence the ECE bound too).
	if rep.Brier > ideal+0.005 {
		t.Errorf("Brier %.4f, true probabilities score %.4f", rep.Brier, ideal)
	}
	if idealSkill := 1 - ideal/rep.BaseBrier; rep.Skill < idealSkill-0.02 || rep.Skill <= 0 {
		t.Errorf("skill %.3f over the base rate, the true probabilities reach %.3f", rep.Skill, idealSkill)
	}
	if rep.ECE > 0.03 {
		t.Errorf("ECE %.4f, want ≤ 0.03", rep.ECE)
	}
	for _, b := range rep.Bins {
		if b.N >= 500 && math.Abs(b.MeanP-b.Freq) > 0.05 {
			t.Errorf("bin [%.1f,%.1f): mean forecast %.3f, observed %.3f (n=%d)", b.Lo, b.Hi, b.MeanP, b.Freq, b.N)
		}
	}
}

// TestSolverAgainstDense compares the Gauss–Seidel solution with a direct solve of
// (I − Q) h = r by gonum on random chains with cycles.
func TestSolverAgainstDense(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for iter := 0; iter < 20; iter++ {
		k := 2 + r.Intn(12)
		m := New(WithSmoothing(r.Float64() * 2))
		for i := 0; i < 50; i++ {
			var tr Trace
			for l := 1 + r.Intn(10); l > 0; l-- {
				tr.States = append(tr.States, r.Intn(k))
			}
			tr.Violated = r.Intn(3) == 0
			if err := m.Observe(tr); err != nil {
				t.Fatal(err)
			}
		}
		f, err := m.Fit()
		if err != nil {
			t.Fatal(err)
		}
		// Dense system from the same counts.
		nn := m.States()
		p0 := (float64(m.nViolated) + 1) / (float64(m.nTraces) + 2)
		a := mat.NewDense(nn, nn, nil)
		b := mat.NewVecDense(nn, nil)
		for i := 0; i < nn; i++ {
			total := m.endV[i] + m.endS[i] + m.cfg.alpha
			for _, c := range m.succ[i] {
				total += c
			}
			a.Set(i, i, 1)
			for to, c := range m.succ[i] {
				a.Set(i, int(to), a.At(i, int(to))-c/total)
			}
			b.SetVec(i, (m.endV[i]+m.cfg.alpha*p0)/total)
		}
		var h mat.VecDense
		if err := h.SolveVec(a, b); err != nil {
			t.Fatal(err)
		}
		for key, i := range m.index {
			if got := f.Predict(key.state, 0).P; math.Abs(got-h.AtVec(int(i))) > 1e-9 {
				t.Fatalf("iter %d node %d: Gauss–Seidel %v, LU %v", iter, i, got, h.AtVec(int(i)))
			}
		}
	}
}

// TestStepBuckets: the monitor state never changes, the response length L is uniform on
// 1..20 and it is violated iff L > 10. Then P(violated | still running at step i) =
// P(L > 10 | L > i) depends on i alone, which only a step-conditioned model can see.
func TestStepBuckets(t *testing.T) {
	gen := func(r *rand.Rand) Trace {
		l := 1 + r.Intn(20)
		return Trace{States: make([]int, l), Violated: l > 10}
	}
	r := rand.New(rand.NewSource(11))
	plain, bucketed := New(), New(WithStepBuckets(6))
	for i := 0; i < 5000; i++ {
		tr := gen(r)
		if err := plain.Observe(tr); err != nil {
			t.Fatal(err)
		}
		if err := bucketed.Observe(tr); err != nil {
			t.Fatal(err)
		}
	}
	fp, err := plain.Fit()
	if err != nil {
		t.Fatal(err)
	}
	fb, err := bucketed.Fit()
	if err != nil {
		t.Fatal(err)
	}
	var held []Trace
	for i := 0; i < 3000; i++ {
		held = append(held, gen(r))
	}
	rp, _ := Evaluate(fp, held, 10)
	rb, _ := Evaluate(fb, held, 10)
	if rb.Brier >= rp.Brier-0.02 {
		t.Errorf("bucketed Brier %.4f should beat unconditioned %.4f by ≥ 0.02", rb.Brier, rp.Brier)
	}
	// From step 16 on (bucket 5) every running response is longer than 10: violated surely.
	if e := fb.Predict(0, 17); e.P < 0.97 {
		t.Errorf("P(violated | step 17) = %.3f, want ≈ 1", e.P)
	}
}

func TestBrier(t *testing.T) {
	// Definition (Brier 1950): mean squared difference.
	got, err := Brier([]float64{1, 0, 0.5, 0.8}, []bool{true, false, true, false})
	if want := (0 + 0 + 0.25 + 0.64) / 4; err != nil || math.Abs(got-want) > 1e-15 {
		t.Errorf("Brier = %v, %v; want %v", got, err, want)
	}
	if _, err := Brier(nil, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
	if _, err := Brier([]float64{1.5}, []bool{true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("out of range: %v", err)
	}
}

func TestLimitsAndUnknown(t *testing.T) {
	m := New(WithMaxStates(3))
	if _, err := m.Fit(); !errors.Is(err, ErrNoData) {
		t.Errorf("Fit without data: %v", err)
	}
	if err := m.Observe(Trace{States: []int{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Observe(Trace{States: []int{1, 4}, Violated: true}); !errors.Is(err, ErrTooManyStates) {
		t.Fatalf("over the limit: %v", err)
	}
	if m.Traces() != 1 {
		t.Fatalf("a refused trace must not count: %d traces", m.Traces())
	}
	f, err := m.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Predict(99, 0); e.Known || e.P != f.BaseRate() || e.Visits != 0 {
		t.Errorf("unknown state: %+v, base rate %v", e, f.BaseRate())
	}
	if want := 1.0 / 3; math.Abs(f.BaseRate()-want) > 1e-15 {
		t.Errorf("base rate %v, want (0+1)/(1+2)", f.BaseRate())
	}
	if got := []int{Bucket(0, 6), Bucket(1, 6), Bucket(2, 6), Bucket(3, 6), Bucket(4, 6), Bucket(100, 6), Bucket(5, 1)}; got[0] != 0 ||
		got[1] != 1 || got[2] != 2 || got[3] != 2 || got[4] != 3 || got[5] != 5 || got[6] != 0 {
		t.Errorf("buckets %v", got)
	}
}
