package ltl

import (
	"testing"
	"time"
)

// FuzzMonitor checks the monitor against the reference evaluator on fuzzed formulas and
// traces: the end-of-trace value on every prefix, and that a definitive verdict is kept.
func FuzzMonitor(f *testing.F) {
	f.Add("G(a -> F[0,3] b)", []byte{1, 0, 0, 2, 1})
	f.Add("a U[1,2] b & X N c", []byte{1, 1, 2, 4})
	f.Add("F[0,2s] a | G[500ms,1s] !b", []byte{0, 0x90, 0x31, 0x72})
	f.Add("(a W b) M (c R[0,1] a) xor G F c", []byte{7, 6, 5, 4, 3})
	f.Fuzz(func(t *testing.T, s string, trace []byte) {
		if len(s) > 120 || len(trace) > 24 {
			return
		}
		g, err := Parse(s)
		if err != nil {
			return
		}
		if len(g.Atoms()) > 4 || g.Size() > 40 || !smallBounds(g) {
			return
		}
		c, err := Compile(g)
		if err != nil {
			t.Fatalf("%q parses but does not compile: %v", s, err)
		}
		// Byte: low 4 bits the valuation, high 4 bits the delay in 250 ms steps.
		var tr []refEvent
		var ms int64
		m := c.NewMonitor()
		var prev Verdict
		for i, b := range trace {
			if i > 0 {
				ms += int64(b>>4) * 250
			}
			tr = append(tr, refEvent{v: Valuation(b & 15), ms: ms})
			v := m.StepAt(Valuation(b&15), time.Duration(ms)*time.Millisecond)
			if want := refHolds(g, c, tr); v.Holds() != want {
				t.Fatalf("%s on %v: monitor %v, reference %v", g, tr, v, want)
			}
			if i > 0 && prev.Definitive() && v != prev {
				t.Fatalf("%s on %v: definitive %v changed to %v", g, tr, prev, v)
			}
			prev = v
		}
	})
}

func smallBounds(f *Formula) bool {
	if f == nil {
		return true
	}
	if f.Bound.Kind == Steps && f.Bound.Hi > 20 || f.Bound.Kind == Millis && f.Bound.Hi > 10000 {
		return false
	}
	return smallBounds(f.L) && smallBounds(f.R)
}
