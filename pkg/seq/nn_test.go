package seq

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEnvelopeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var dq []int
	for it := 0; it < 300; it++ {
		n := r.IntN(60)
		x := randSeries(r, n)
		w := r.IntN(n+3) - 1
		up, lo := make([]float64, n), make([]float64, n)
		dq = Envelope(up, lo, x, w, dq)
		for i := range n {
			hi, low := math.Inf(-1), math.Inf(1)
			for j := range n {
				if w < 0 || abs(i-j) <= w {
					hi, low = math.Max(hi, x[j]), math.Min(low, x[j])
				}
			}
			if up[i] != hi || lo[i] != low {
				t.Fatalf("n=%d w=%d i=%d: got [%v,%v] want [%v,%v]", n, w, i, lo[i], up[i], low, hi)
			}
		}
	}
}

func TestLowerBoundsAreBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	d := &DTW{}
	for it := 0; it < 500; it++ {
		n := 1 + r.IntN(80)
		a, b := randSeries(r, n), randSeries(r, n)
		w := r.IntN(n+2) - 1
		for _, cost := range []Cost{Squared, Absolute} {
			d.cfg = config{window: w, cost: cost}
			acc := d.Accumulated(a, b, math.Inf(1))
			if lb := LBKim(a, b, cost); lb > acc*slack {
				t.Fatalf("LB_Kim %v > DTW %v", lb, acc)
			}
			up, lo := make([]float64, n), make([]float64, n)
			Envelope(up, lo, b, effectiveWindow(w, n, n), nil)
			contrib := make([]float64, n)
			lb := LBKeogh(a, up, lo, cost, math.Inf(1), contrib)
			if lb > acc*slack {
				t.Fatalf("LB_Keogh %v > DTW %v (n=%d w=%d)", lb, acc, n, w)
			}
			sum := 0.0
			for _, c := range contrib {
				sum += c
			}
			if sum != lb {
				t.Fatalf("contributions sum %v, bound %v", sum, lb)
			}
			if acc > 0 && !math.IsInf(LBKeogh(a, up, lo, cost, lb/2, nil), 1) && lb > 0 {
				t.Fatalf("LB_Keogh did not abandon under limit %v (bound %v)", lb/2, lb)
			}
		}
	}
	// Unequal lengths: LB_Kim still holds.
	for it := 0; it < 200; it++ {
		a, b := randSeries(r, 1+r.IntN(30)), randSeries(r, 1+r.IntN(30))
		d.cfg = config{window: -1}
		if lb, acc := LBKim(a, b, Squared), d.Accumulated(a, b, math.Inf(1)); lb > acc*slack {
			t.Fatalf("LB_Kim %v > DTW %v", lb, acc)
		}
	}
}

// bruteNearest is the reference 1-NN: every distance in full with the naive DP.
func bruteNearest(q []float64, set [][]float64, metric Metric, w int, cost Cost) (int, float64) {
	best, bd := -1, math.Inf(1)
	for i, c := range set {
		var d float64
		if metric == MetricEuclidean {
			d = Euclidean(q, c, cost)
		} else {
			d = naiveDTW(q, c, w, cost)
		}
		if d < bd {
			best, bd = i, d
		}
	}
	return best, bd
}

func TestNearestAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for it := 0; it < 60; it++ {
		n := 1 + r.IntN(50)
		equal := it%4 != 3
		set := make([][]float64, 1+r.IntN(25))
		for i := range set {
			m := n
			if !equal {
				m = 1 + r.IntN(50)
			}
			set[i] = randSeries(r, m)
		}
		// Plant duplicates so that ties and zero distances occur.
		if len(set) > 3 {
			set[2] = append([]float64(nil), set[1]...)
		}
		for _, metric := range []Metric{MetricDTW, MetricEuclidean} {
			if metric == MetricEuclidean && !equal {
				if _, err := NewIndex(set, metric); !errors.Is(err, ErrLength) {
					t.Fatalf("unequal lengths accepted for Euclidean: %v", err)
				}
				continue
			}
			for _, cost := range []Cost{Squared, Absolute} {
				w := []int{-1, 0, 2, n / 10}[it%4]
				ix, err := NewIndex(set, metric, WithWindow(w), WithCost(cost))
				if err != nil {
					t.Fatal(err)
				}
				s := ix.NewSearcher()
				for k := 0; k < 8; k++ {
					var q []float64
					if k == 0 && len(set) > 1 {
						q = set[1]
					} else {
						q = randSeries(r, len(set[0]))
					}
					gi, gd := s.Nearest(q)
					wi, wd := bruteNearest(q, set, metric, w, cost)
					if gi != wi || !close(gd, wd, 1e-9) {
						t.Fatalf("%v %v w=%d: got (%d, %v) want (%d, %v)", metric, cost, w, gi, gd, wi, wd)
					}
				}
			}
		}
	}
}

func loadUCR(t testing.TB, name string) (train, test *Dataset) {
	t.Helper()
	dir := "../../../shared/datasets/ucr"
	if _, err := os.Stat(dir); err != nil {
		dir = "/work/shared/datasets/ucr"
	}
	read := func(split string) *Dataset {
		p := filepath.Join(dir, name+"_"+split+".ts")
		f, err := os.Open(p)
		if err != nil {
			t.Skipf("UCR data not available: %v", err)
		}
		defer f.Close()
		ds, err := ReadTS(f, p, TSLimits{})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	return read("TRAIN"), read("TEST")
}

// Published 1-NN error rates of the UCR archive 2018 (DataSummary.csv, quoted in
// datasets/ucr/README.md): Euclidean and unconstrained DTW with squared cost. They count
// misclassified series, so they must match to the fourth decimal (tolerance 5e-5).
func TestUCRErrorRates(t *testing.T) {
	cases := []struct {
		name           string
		train, test    int
		euclid, dtwAll float64
	}{
		{"ItalyPowerDemand", 67, 1029, 0.0447, 0.0496},
		{"GunPoint", 50, 150, 0.0867, 0.0933},
		{"ArrowHead", 36, 175, 0.2000, 0.2971},
		{"OSULeaf", 200, 242, 0.4793, 0.4091},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			train, test := loadUCR(t, c.name)
			if len(train.Series) != c.train || len(test.Series) != c.test {
				t.Fatalf("sizes %d/%d, want %d/%d", len(train.Series), len(test.Series), c.train, c.test)
			}
			res, err := Classify(train, test, MetricEuclidean)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.ErrorRate-c.euclid) > 5e-5 {
				t.Errorf("Euclidean error rate %.4f, published %.4f", res.ErrorRate, c.euclid)
			}
			start := time.Now()
			res, err = Classify(train, test, MetricDTW)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.ErrorRate-c.dtwAll) > 5e-5 {
				t.Errorf("DTW error rate %.4f, published %.4f", res.ErrorRate, c.dtwAll)
			}
			t.Logf("DTW full: %v, %+v", time.Since(start), res.Stats)
		})
	}
}
