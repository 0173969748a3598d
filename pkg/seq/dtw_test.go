package seq

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func randSeries(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	v := 0.0
	for i := range x {
		v += r.NormFloat64()
		x[i] = v
	}
	return x
}

func close(a, b, tol float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return a == b
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// Golden values from the dtaidistance documentation (dtw.distance, squared cost reported as a
// square root), quoted in REFERENCES.md; 4 decimals as published.
func TestDTWGolden(t *testing.T) {
	s1 := []float64{0, 1, 2, 0, 0, 0, 0, 0, 0}
	s2 := []float64{0, 0, 1, 2, 1, 0, 1, 0, 0}
	s3 := []float64{1, 2, 0, 0, 0, 0, 0, 1, 1}
	cases := []struct {
		a, b []float64
		want float64
	}{
		{s1, s2, 1.4142},
		{s3, s2, 2.2361},
		{s3, s1, 1.7321},
	}
	d := NewDTW()
	for _, c := range cases {
		if got := d.Distance(c.a, c.b); math.Abs(got-c.want) > 5e-5 {
			t.Errorf("DTW(%v, %v) = %.5f, want %.4f", c.a, c.b, got, c.want)
		}
	}
}

func TestDTWAgreesWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := &DTW{}
	for it := 0; it < 600; it++ {
		var n, m int
		if it%10 == 0 {
			n, m = r.IntN(301), r.IntN(301)
		} else {
			n, m = r.IntN(40), r.IntN(40)
		}
		a, b := randSeries(r, n), randSeries(r, m)
		for _, cost := range []Cost{Squared, Absolute} {
			for _, w := range []int{-1, 0, 1, 3, n / 10, 1000} {
				d.cfg = config{window: w, cost: cost}
				want := naiveDTW(a, b, w, cost)
				if got := d.Distance(a, b); !close(got, want, 1e-12) {
					t.Fatalf("n=%d m=%d w=%d %v: got %v want %v", n, m, w, cost, got, want)
				}
				acc := cost.Accumulated(want)
				// Limits below, at and above the true cost: exact when within, +Inf otherwise.
				for _, f := range []float64{0.5, 0.999, 1.0000001, 1.5, 10} {
					lim := acc * f
					got := d.Accumulated(a, b, lim)
					if acc <= lim*(1-1e-12) && !close(got, acc, 1e-12) {
						t.Fatalf("n=%d m=%d w=%d %v limit %v: got %v want %v", n, m, w, cost, lim, got, acc)
					}
					if acc > lim*(1+1e-12) && !math.IsInf(got, 1) {
						t.Fatalf("n=%d m=%d w=%d %v limit %v: got %v, want +Inf (true %v)", n, m, w, cost, lim, got, acc)
					}
				}
				if n > 0 && m > 0 && n*m < 5000 {
					dist, path := d.Path(nil, a, b)
					if !close(dist, want, 1e-12) {
						t.Fatalf("Path distance %v want %v", dist, want)
					}
					checkPath(t, path, a, b, d.cfg, want)
				}
			}
		}
	}
}

// checkPath verifies that path is a valid warping path within the band whose cost is dist.
func checkPath(t *testing.T, path []Step, a, b []float64, cfg config, dist float64) {
	t.Helper()
	if path[0] != (Step{0, 0}) || path[len(path)-1] != (Step{len(a) - 1, len(b) - 1}) {
		t.Fatalf("path endpoints %v %v", path[0], path[len(path)-1])
	}
	w := effectiveWindow(cfg.window, len(a), len(b))
	sum := 0.0
	for k, s := range path {
		if abs(s.I-s.J) > w {
			t.Fatalf("path step %v outside band %d", s, w)
		}
		if k > 0 {
			di, dj := s.I-path[k-1].I, s.J-path[k-1].J
			if di < 0 || dj < 0 || di > 1 || dj > 1 || di+dj == 0 {
				t.Fatalf("bad path step %v -> %v", path[k-1], s)
			}
		}
		sum += cfg.cost.cell(a[s.I], b[s.J])
	}
	if !close(cfg.cost.Report(sum), dist, 1e-9) {
		t.Fatalf("path cost %v, distance %v", cfg.cost.Report(sum), dist)
	}
}

func TestDTWEmpty(t *testing.T) {
	d := NewDTW()
	if got := d.Distance(nil, nil); got != 0 {
		t.Errorf("empty/empty = %v", got)
	}
	if got := d.Distance(nil, []float64{1}); !math.IsInf(got, 1) {
		t.Errorf("empty/one = %v", got)
	}
}

func TestZNormalize(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	z, err := ZNormalize(nil, x)
	if err != nil {
		t.Fatal(err)
	}
	// mean 2.5, population std sqrt(1.25)
	want := []float64{-1.5 / math.Sqrt(1.25), -0.5 / math.Sqrt(1.25), 0.5 / math.Sqrt(1.25), 1.5 / math.Sqrt(1.25)}
	for i := range z {
		if math.Abs(z[i]-want[i]) > 1e-15 {
			t.Fatalf("z = %v, want %v", z, want)
		}
	}
	if _, err := ZNormalize(x, []float64{2, 2}); !errors.Is(err, ErrConstant) {
		t.Errorf("constant: %v", err)
	}
	if _, err := ZNormalize(x, []float64{2, math.NaN()}); !errors.Is(err, ErrNaN) {
		t.Errorf("NaN: %v", err)
	}
}
