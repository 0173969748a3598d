package ltl

import (
	"errors"
	"fmt"
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

// Monitors in several goroutines share one Compiled (its table is built lazily under a lock
// and read lock-free); each must see the same verdicts as a sequential run.
func TestConcurrentMonitors(t *testing.T) {
	f := MustParse("G(a -> F[0,4] b) & (!c U (a | b)) & G(c -> X !c)")
	r := rand.New(rand.NewPCG(13, 14))
	traces := make([][]refEvent, 8)
	want := make([][]Verdict, len(traces))
	seq, _ := Compile(f)
	for i := range traces {
		traces[i] = randTrace(r, 200, 3, false)
		m := seq.NewMonitor()
		for _, e := range traces[i] {
			want[i] = append(want[i], m.Step(e.v))
		}
	}
	c, _ := Compile(f)
	errs := make(chan string, len(traces))
	for i := range traces {
		go func() {
			m := c.NewMonitor()
			for j, e := range traces[i] {
				if v := m.Step(e.v); v != want[i][j] {
					errs <- fmt.Sprintf("trace %d event %d: %v, want %v", i, j, v, want[i][j])
					return
				}
			}
			errs <- ""
		}()
	}
	for range traces {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

func TestStepAllocs(t *testing.T) {
	c := MustCompile(tenOps)
	tr := benchTrace(c, 1024)
	m := c.NewMonitor()
	for _, v := range tr {
		m.Step(v)
	}
	m.Reset()
	i := 0
	if a := testing.AllocsPerRun(1000, func() { m.Step(tr[i&1023]); i++ }); a != 0 {
		t.Fatalf("Step allocates %v times per event in steady state", a)
	}
}

// A tiny decision budget may delay definitive verdicts but never change one or the LTLf value.
func TestDecisionBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for fi := 0; fi < 300; fi++ {
		f := randFormula(r, 1+fi%5, fi%3 == 0)
		full, _ := Compile(f)
		tiny, _ := Compile(f, WithDecisionBudget(1))
		a, b := full.NewMonitor(), tiny.NewMonitor()
		for _, e := range randTrace(r, 1+r.IntN(20), len(full.Atoms()), fi%3 == 0) {
			at := time.Duration(e.ms) * time.Millisecond
			va, vb := a.StepAt(e.v, at), b.StepAt(e.v, at)
			if va.Holds() != vb.Holds() || vb.Definitive() && va != vb {
				t.Fatalf("%s: budget 1 gives %v, full %v", f, vb, va)
			}
		}
	}
}

func TestCompileLimits(t *testing.T) {
	f := Atom("a0")
	for i := 1; i <= MaxAtoms; i++ {
		f = Binary(OpAnd, f, Atom(fmt.Sprintf("a%d", i)))
	}
	if _, err := Compile(f); !errors.Is(err, ErrTooManyAtoms) {
		t.Fatalf("%d atoms: %v", MaxAtoms+1, err)
	}
	if _, err := Compile(Bounded(OpEventually, Bound{Steps, 3, 1}, Atom("a"), nil)); !errors.Is(err, ErrBound) {
		t.Fatalf("inverted bound: %v", err)
	}
	if _, err := Compile(nil); err == nil {
		t.Fatal("nil formula compiled")
	}
}

// Nested xor and <-> use both polarities of their operands; compiling a deep chain must stay
// linear.
func TestCompileDeepXor(t *testing.T) {
	s := "a"
	for i := 0; i < 60; i++ {
		s = fmt.Sprintf("(b%d xor %s)", i%5, s)
	}
	c, err := Compile(MustParse(s))
	if err != nil {
		t.Fatal(err)
	}
	c.NewMonitor().Step(1)
	// Temporal operands: the canonical DNF would need 2^n clauses; it must still agree with
	// the reference.
	s = "F b0"
	for i := 1; i < 12; i++ {
		s = fmt.Sprintf("(F b%d xor %s)", i%6, s)
	}
	f := MustParse(s)
	c, err = Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(17, 18))
	tr := randTrace(r, 10, len(c.Atoms()), false)
	m := c.NewMonitor()
	for i, e := range tr {
		if v := m.Step(e.v); v.Holds() != refHolds(f, c, tr[:i+1]) {
			t.Fatalf("event %d: %v disagrees with the reference", i, v)
		}
	}
}
