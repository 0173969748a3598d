package learn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactQuantile is the reference: the value of rank floor(q(n-1)) of the sorted data, the rank
// Sketch.Quantile promises.
func exactQuantile(sorted []float64, q float64) float64 {
	return sorted[int(q*float64(len(sorted)-1))]
}

func TestSketchRelativeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"lognormal": func() float64 { return math.Exp(rng.NormFloat64() * 2) },
		"uniform":   func() float64 { return rng.Float64() * 1000 },
		"normal":    func() float64 { return rng.NormFloat64() * 10 }, // both signs
		"pareto":    func() float64 { return math.Pow(rng.Float64(), -1/1.5) },
		"with-zeros": func() float64 {
			if rng.IntN(4) == 0 {
				return 0
			}
			return rng.ExpFloat64()
		},
	}
	for name, gen := range gens {
		for _, alpha := range []float64{0.01, 0.05} {
			s := NewSketch(alpha, DefaultMaxBins)
			data := make([]float64, 20000)
			for i := range data {
				data[i] = gen()
				s.Add(data[i])
			}
			slices.Sort(data)
			for _, q := range []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1} {
				got, err := s.Quantile(q)
				if err != nil {
					t.Fatal(err)
				}
				want := exactQuantile(data, q)
				// The DDSketch guarantee (Masson et al. 2019, Prop. 4): |got-want| <= alpha|want|;
				// 1e-12 absorbs floating-point rounding of the bucket boundaries.
				if math.Abs(got-want) > alpha*math.Abs(want)+1e-12 {
					t.Errorf("%s alpha=%v q=%v: got %v, want %v (rel err %.4g)", name, alpha, q, got, want, math.Abs(got-want)/math.Abs(want))
				}
			}
			if s.Collapsed() {
				t.Errorf("%s: collapsed with default bins", name)
			}
			if s.Count() != uint64(len(data)) {
				t.Errorf("count %d", s.Count())
			}
		}
	}
}

func TestSketchMergeEqualsUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b, u := NewSketch(0.01, 64), NewSketch(0.01, 64), NewSketch(0.01, 64)
	for i := range 5000 {
		x := math.Exp(rng.NormFloat64()*3) * float64(1-2*(i%3/2))
		if i%2 == 0 {
			a.Add(x)
		} else {
			b.Add(x)
		}
		u.Add(x)
	}
	a.Merge(b)
	for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 1} {
		x, _ := a.Quantile(q)
		y, _ := u.Quantile(q)
		if x != y && !(a.Collapsed() && u.Collapsed()) {
			t.Errorf("q=%v merged %v union %v", q, x, y)
		}
	}
}

func TestSketchCollapseKeepsUpperQuantiles(t *testing.T) {
	// 16 bins of 1% accuracy cover a ratio of about 1.38; values spread over 1e-6..1e6 must
	// collapse, but the upper quantiles (in the kept range) stay within the bound.
	s := NewSketch(0.01, 16)
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]float64, 10000)
	for i := range data {
		data[i] = math.Pow(10, rng.Float64()*12-6)
		s.Add(data[i])
	}
	if !s.Collapsed() {
		t.Fatal("expected collapse")
	}
	slices.Sort(data)
	got, _ := s.Quantile(1)
	if got != data[len(data)-1] {
		t.Errorf("max: got %v want %v", got, data[len(data)-1])
	}
	got, _ = s.Quantile(0.9999)
	want := exactQuantile(data, 0.9999)
	if math.Abs(got-want) > 0.01*want {
		t.Errorf("q=0.9999 got %v want %v", got, want)
	}
}

func TestSketchErrors(t *testing.T) {
	s := NewSketch(0.01, 32)
	if _, err := s.Quantile(0.5); err == nil {
		t.Error("empty sketch: want error")
	}
	s.Add(1)
	if _, err := s.Quantile(1.5); err == nil {
		t.Error("q > 1: want error")
	}
	if s.Add(math.NaN()) || s.Add(math.Inf(1)) {
		t.Error("non-finite values must be refused")
	}
	if !math.IsNaN(NewSketch(0.01, 32).Mean()) {
		t.Error("empty mean must be NaN")
	}
}

func TestWilsonNewcombe(t *testing.T) {
	// Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
	// methods", Statistics in Medicine 17 (1998) 857, Table II, method 3 (score interval without
	// continuity correction), 95%; values printed to 4 decimals, hence the 6e-5 tolerance.
	cases := []struct {
		x, n   uint64
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.x, c.n, Z95)
		if math.Abs(lo-c.lo) > 6e-5 || math.Abs(hi-c.hi) > 6e-5 {
			t.Errorf("Wilson(%d, %d) = [%.5f, %.5f], want [%.4f, %.4f]", c.x, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := Wilson(0, 0, Z95); lo != 0 || hi != 1 {
		t.Errorf("no trials: [%v, %v]", lo, hi)
	}
}

func TestRateRemove(t *testing.T) {
	var r Rate
	r.Add(true)
	r.Add(false)
	r.Remove(true)
	if r.Hits != 0 || r.Trials != 1 {
		t.Fatalf("%+v", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("removing a hit never added must panic")
		}
	}()
	r.Remove(true)
}
