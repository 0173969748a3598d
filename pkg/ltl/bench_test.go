package ltl

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// tenOps is the "10-operator formula" of the benchmark goal; it has 14 operators (G, ->,
// F[0,5], &, G, !, &, !, U, &, G, ->, X, !) over 6 atoms.
const tenOps = "G(req -> F[0,5] ack) & G !pii & (!done U ready) & G(call -> X !call)"

// benchTrace returns events that keep tenOps undecided (no pii, done only after ready, no two
// calls in a row) so the monitor moves among live states rather than sitting in false.
func benchTrace(c *Compiled, n int) []Valuation {
	r := rand.New(rand.NewPCG(9, 10))
	bit := func(name string) Valuation {
		if i, ok := c.AtomIndex(name); ok {
			return 1 << uint(i)
		}
		return 0
	}
	out := make([]Valuation, n)
	prevCall := false
	for i := range out {
		var v Valuation
		if r.IntN(3) == 0 {
			v |= bit("req")
		}
		if i%3 == 0 || r.IntN(2) == 0 {
			v |= bit("ack")
		}
		if i > 0 {
			v |= bit("ready")
		}
		if !prevCall && r.IntN(3) == 0 {
			v |= bit("call")
			prevCall = true
		} else {
			prevCall = false
		}
		out[i] = v
	}
	return out
}

func BenchmarkMonitorStep(b *testing.B) {
	for _, s := range []string{"G !pii", tenOps} {
		c := MustCompile(s)
		tr := benchTrace(c, 4096)
		m := c.NewMonitor()
		for _, v := range tr { // warm the lazily built table
			m.Step(v)
		}
		name := "ops=1"
		if s == tenOps {
			name = "ops=10"
		}
		b.Run(name, func(b *testing.B) {
			m.Reset()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Step(tr[i&4095])
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/event")
			if m.Verdict().Definitive() {
				b.Fatalf("trace decided the formula (%v); the benchmark would measure a sink state", m.Verdict())
			}
		})
	}
}

func BenchmarkMonitorStepAt(b *testing.B) {
	c := MustCompile("G(call -> F[0,2s] tool_result) & G !pii")
	call, _ := c.AtomIndex("call")
	res, _ := c.AtomIndex("tool_result")
	m := c.NewMonitor()
	tr := make([]Event, 4096)
	for i := range tr {
		tr[i].T = time.Duration(i) * 50 * time.Millisecond
		if i%8 == 0 {
			tr[i].V |= 1 << uint(call)
		}
		if i%8 == 4 {
			tr[i].V |= 1 << uint(res)
		}
	}
	for _, e := range tr {
		m.StepAt(e.V, e.T)
	}
	b.Run("window=2s", func(b *testing.B) {
		m.Reset()
		b.ReportAllocs()
		i := 0
		var base time.Duration
		for b.Loop() {
			e := tr[i&4095]
			if i&4095 == 0 && i > 0 {
				base += tr[4095].T + 50*time.Millisecond
			}
			m.StepAt(e.V, base+e.T)
			i++
		}
	})
}

func BenchmarkParseCompile(b *testing.B) {
	for _, s := range []string{"G !pii", "G(tool_call_start -> F[0,50] tool_call_end) & G !pii", tenOps} {
		b.Run(fmt.Sprintf("len=%d", len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f, err := Parse(s)
				if err != nil {
					b.Fatal(err)
				}
				c, err := Compile(f)
				if err != nil {
					b.Fatal(err)
				}
				c.NewMonitor() // decides the initial state
			}
		})
	}
}

// BenchmarkManyRules steps 1,000 distinct rules over 50 propositions on one event stream; one
// op is one event delivered to every rule.
func BenchmarkManyRules(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	templates := []string{
		"G !%s", "G(%s -> F[0,%d] %s)", "!%s U %s", "G(%s -> X !%s)", "F %s", "G(%s -> (%s W %s))",
		"G[0,%d] !%s", "(%s R !%s) & F %s",
	}
	prop := func() string { return fmt.Sprintf("p%d", r.IntN(50)) }
	type rule struct {
		m   *Monitor
		idx []uint8 // global proposition of each atom
	}
	for _, n := range []int{1000} {
		rules := make([]rule, n)
		for i := range rules {
			var s string
			switch t := templates[i%len(templates)]; i % len(templates) {
			case 1:
				s = fmt.Sprintf(t, prop(), 1+r.IntN(20), prop())
			case 6:
				s = fmt.Sprintf(t, 10+r.IntN(90), prop())
			case 0, 4:
				s = fmt.Sprintf(t, prop())
			case 2, 3:
				s = fmt.Sprintf(t, prop(), prop())
			default:
				s = fmt.Sprintf(t, prop(), prop(), prop())
			}
			c := MustCompile(s)
			rules[i].m = c.NewMonitor()
			for _, a := range c.Atoms() {
				var g int
				fmt.Sscanf(a, "p%d", &g)
				rules[i].idx = append(rules[i].idx, uint8(g))
			}
		}
		events := make([]uint64, 1024)
		for i := range events {
			events[i] = r.Uint64() & r.Uint64() & r.Uint64() & (1<<50 - 1) // sparse
		}
		step := func(e uint64) {
			for i := range rules {
				ru := &rules[i]
				var v Valuation
				for j, g := range ru.idx {
					v |= Valuation(e>>g&1) << uint(j)
				}
				ru.m.Step(v)
			}
		}
		for _, e := range events {
			step(e)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				step(events[i&1023])
				i++
			}
		})
	}
}
