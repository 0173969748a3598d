package ltl

import (
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
