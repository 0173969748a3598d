package ltl

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The monitor's "if the trace ended now" value must equal the reference LTLf value on every
// prefix of random traces, for thousands of random formulas with every operator.
func TestMonitorAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	formulas := 3000
	if testing.Short() {
		formulas = 600
	}
	for fi := 0; fi < formulas; fi++ {
		timed := fi%3 == 0
		f := randFormula(r, 1+fi%5, timed)
		c, err := Compile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for ti := 0; ti < 4; ti++ {
			tr := randTrace(r, 1+r.IntN(30), len(c.Atoms()), timed)
			m := c.NewMonitor()
			for i, e := range tr {
				v := m.StepAt(e.v, time.Duration(e.ms)*time.Millisecond)
				want := refHolds(f, c, tr[:i+1])
				if v.Holds() != want {
					t.Fatalf("%s on %v, prefix %d: monitor %v, reference %v (state %s)", f, tr, i+1, v, want, c.StateString(m.State()))
				}
			}
		}
	}
}
