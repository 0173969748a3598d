package ltl

import (
	"math/rand/v2"
	"testing"
	"time"
)

// continuations calls fn with every continuation of length 0..maxLen over k atoms; for timed
// formulas each event also takes one of a few delays (0, just inside and beyond the windows
// randFormula draws). fn returns false to stop.
func continuations(k, maxLen int, timed bool, lastMs int64, fn func([]refEvent) bool) {
	delays := []int64{0}
	if timed {
		delays = []int64{0, 600, 2500}
	}
	buf := make([]refEvent, 0, maxLen)
	var rec func() bool
	rec = func() bool {
		if !fn(buf) {
			return false
		}
		if len(buf) == maxLen {
			return true
		}
		prev := lastMs
		if len(buf) > 0 {
			prev = buf[len(buf)-1].ms
		}
		for v := 0; v < 1<<uint(k); v++ {
			for _, d := range delays {
				buf = append(buf, refEvent{v: Valuation(v), ms: prev + d})
				ok := rec()
				buf = buf[:len(buf)-1]
				if !ok {
					return false
				}
			}
		}
		return true
	}
	rec()
}

// A definitive verdict must agree with every continuation (brute force up to a length), and
// an undecided verdict on an untimed formula must be witnessed by two short continuations
// that disagree, so the monitor decides as soon as brute force can tell.
func TestEarlyVerdicts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	formulas := 2000
	if testing.Short() {
		formulas = 100
	}
	undecided, definitive, complete := 0, 0, 0
	for fi := 0; fi < formulas; fi++ {
		timed := fi%4 == 0
		f := randFormula(r, 1+fi%4, timed)
		c, err := Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		k := len(c.Atoms())
		tr := randTrace(r, 1+r.IntN(6), k, timed)
		m := c.NewMonitor()
		for i, e := range tr {
			v := m.StepAt(e.v, time.Duration(e.ms)*time.Millisecond)
			prefix := tr[:i+1]
			maxLen := 3
			if timed {
				maxLen = 2
			}
			seenT, seenF := false, false
			var disagree []refEvent
			continuations(k, maxLen, timed, e.ms, func(w []refEvent) bool {
				full := append(append([]refEvent(nil), prefix...), w...)
				if refHolds(f, c, full) {
					seenT = true
				} else {
					seenF = true
				}
				if v == True && !seenT || v == False && !seenF {
					disagree = append([]refEvent(nil), w...)
					return false
				}
				return !(seenT && seenF)
			})
			if disagree != nil {
				t.Fatalf("%s after %v: verdict %v but continuation %v disagrees", f, prefix, v, disagree)
			}
			if v.Definitive() {
				definitive++
				continue
			}
			undecided++
			if !timed && horizon(f) <= maxLen {
				complete++
			}
			if !timed && !(seenT && seenF) && horizon(f) <= maxLen {
				t.Fatalf("%s after %v: verdict %v but every continuation up to length %d gives %v (state %s)",
					f, prefix, v, maxLen, seenT, c.StateString(m.State()))
			}
		}
	}
	t.Logf("%d definitive and %d undecided verdicts checked (%d undecided ones for completeness)", definitive, undecided, complete)
}

// horizon bounds the continuation length needed to tell a formula's outcomes apart: the
// nesting of next operators and step bounds (unbounded operators need one event to go
// either way once their operands can).
func horizon(f *Formula) int {
	if f == nil {
		return 0
	}
	h := max(horizon(f.L), horizon(f.R))
	switch f.Op {
	case OpNext, OpWeakNext, OpEventually, OpAlways, OpUntil, OpRelease, OpWeakUntil, OpStrongRelease:
		if f.Bound.Kind == Steps {
			return h + int(f.Bound.Hi) + 1
		}
		return h + 1
	}
	return h
}
