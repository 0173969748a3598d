package forecast

import (
	"math"
	"math/rand"
	"testing"

	"github.com/midstream/midstream/pkg/ltl"
)

// TestWithMonitor drives a real monitor of "G !p": each event has p with probability q, and
// after each event the response continues with probability c. While undecided (no p yet),
// the probability of ending violated is that some remaining event has p:
// 1 − Σ_k (1−c) c^k (1−q)^k = 1 − (1−c) / (1 − c(1−q)) (geometric series).
func TestWithMonitor(t *testing.T) {
	const q, cont = 0.05, 0.9
	want := 1 - (1-cont)/(1-cont*(1-q))
	c := ltl.MustCompile("G !p")
	r := rand.New(rand.NewSource(5))
	gen := func() Trace {
		m := c.NewMonitor()
		var tr Trace
		for {
			v := ltl.Valuation(0)
			if r.Float64() < q {
				v = 1
			}
			m.Step(v)
			tr.States = append(tr.States, int(m.State()))
			if r.Float64() >= cont {
				break
			}
		}
		tr.Violated = !m.Holds()
		return tr
	}
	mdl := New()
	for i := 0; i < 6000; i++ {
		if err := mdl.Observe(gen()); err != nil {
			t.Fatal(err)
		}
	}
	f, err := mdl.Fit()
	if err != nil {
		t.Fatal(err)
	}
	undecided := int(c.Initial()) // "G !p" progresses to itself while p stays false
	e := f.Predict(undecided, 3)
	// Thousands of visits: the estimate's standard error is below 0.01; 0.03 is 3 sigma.
	if !e.Known || math.Abs(e.P-want) > 0.03 {
		t.Errorf("P(violated | undecided) = %.4f (%d visits), want %.4f ± 0.03", e.P, e.Visits, want)
	}
	violated := int(c.Next(c.Initial(), 1))
	if e := f.Predict(violated, 3); e.P < 0.99 {
		t.Errorf("P(violated | violated) = %.4f, want ≈ 1", e.P)
	}
}
