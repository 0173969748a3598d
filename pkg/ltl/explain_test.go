package ltl

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestExplainExamples(t *testing.T) {
	c := MustCompile("G !pii")
	pii := Valuation(1)
	ex := c.Explain([]Event{{V: 0}, {V: 0}, {V: pii}, {V: 0}})
	if ex.Verdict != False || ex.At != 2 || len(ex.Slice) != 1 || ex.Slice[0].Index != 2 || ex.Slice[0].Values != pii {
		t.Fatalf("G !pii: %+v", ex)
	}
	// req at 1 and no ack within 2 events: the violation is certain at event 3 and depends on
	// req at 1 and ack absent at 1, 2, 3.
	c = MustCompile("G (req -> F[0,2] ack)") // atoms: ack=bit0, req=bit1
	req := Valuation(2)
	ex = c.Explain([]Event{{V: 0}, {V: req}, {V: 0}, {V: 0}, {V: 0}})
	if ex.Verdict != False || ex.At != 3 || len(ex.Slice) != 3 {
		t.Fatalf("bounded response: %+v", ex)
	}
	if s := ex.Slice[0]; s.Index != 1 || s.Atoms != 3 || s.Values != req {
		t.Fatalf("bounded response slice: %+v", ex.Slice)
	}
	// Witness: F done is satisfied at the event with done.
	c = MustCompile("F done")
	ex = c.Explain([]Event{{V: 0}, {V: 1}, {V: 0}})
	if ex.Verdict != True || ex.At != 1 || len(ex.Slice) != 1 || ex.Slice[0].Index != 1 {
		t.Fatalf("witness: %+v", ex)
	}
	// Never decided: F done on a trace without done is false at the end; every event counts.
	ex = c.Explain([]Event{{V: 0}, {V: 0}})
	if ex.Verdict != PresumablyFalse || ex.At != 1 || len(ex.Slice) != 2 {
		t.Fatalf("end of trace: %+v", ex)
	}
}

// The slice must be sufficient (every trace agreeing on it gets the verdict) and irreducible
// (freeing any one value admits a trace that does not), checked by brute force.
func TestExplainMinimalRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for fi := 0; fi < 400; fi++ {
		timed := fi%2 == 1
		f := randFormula(r, 1+fi%4, timed)
		c, err := Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		k := len(c.Atoms())
		tr := randTrace(r, 1+r.IntN(5), k, timed)
		evs := make([]Event, len(tr))
		for i, e := range tr {
			evs[i] = Event{V: e.v, T: time.Duration(e.ms) * time.Millisecond}
		}
		ex := c.Explain(evs)
		fixed := make([]Valuation, ex.At+1)
		for _, s := range ex.Slice {
			fixed[s.Index] = s.Atoms
		}
		// agrees reports whether every trace that keeps the fixed values has the verdict.
		agrees := func(fixed []Valuation) bool {
			n := ex.At + 1
			bitsFree := 0
			for _, m := range fixed {
				bitsFree += k - popcount(uint64(m))
			}
			for combo := 0; combo < 1<<uint(bitsFree); combo++ {
				cb := combo
				m := c.NewMonitor()
				var v Verdict
				for j := 0; j < n; j++ {
					val := tr[j].v & fixed[j]
					for b := 0; b < k; b++ {
						if fixed[j]>>uint(b)&1 == 0 {
							val |= Valuation(cb&1) << uint(b)
							cb >>= 1
						}
					}
					v = m.StepAt(val, time.Duration(tr[j].ms)*time.Millisecond)
				}
				if ex.Verdict.Definitive() && v != ex.Verdict || !ex.Verdict.Definitive() && v.Holds() != ex.Verdict.Holds() {
					return false
				}
			}
			return true
		}
		if !agrees(fixed) {
			t.Fatalf("%s on %v: slice %+v is not sufficient", f, tr, ex)
		}
		for _, s := range ex.Slice {
			for b := 0; b < k; b++ {
				if s.Atoms>>uint(b)&1 == 0 {
					continue
				}
				fixed[s.Index] &^= 1 << uint(b)
				if agrees(fixed) {
					t.Fatalf("%s on %v: slice %+v is not minimal (event %d atom %d)", f, tr, ex, s.Index, b)
				}
				fixed[s.Index] |= 1 << uint(b)
			}
		}
	}
}
