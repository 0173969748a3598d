package ltl_test

import (
	"fmt"
	"time"

	"github.com/midstream/midstream/pkg/ltl"
)

func Example() {
	f, err := ltl.Parse("G(tool_call -> F[0,2] tool_result) & G !pii")
	if err != nil {
		panic(err)
	}
	c, err := ltl.Compile(f)
	if err != nil {
		panic(err)
	}
	m := c.NewMonitor()
	for _, ev := range []map[string]bool{
		{},
		{"tool_call": true},
		{"tool_result": true},
		{"pii": true},
		{},
	} {
		fmt.Println(m.StepMap(ev))
	}
	fmt.Println("decided at", m.DecidedAt())
	// Output:
	// presumably_true
	// presumably_false
	// presumably_true
	// false
	// false
	// decided at 3
}

func ExampleMonitor_StepAt() {
	c := ltl.MustCompile("F[0,2s] tool_result")
	m := c.NewMonitor()
	fmt.Println(m.StepAt(0, 0))
	fmt.Println(m.StepAt(0, 1500*time.Millisecond))
	fmt.Println(m.StepAt(0, 2500*time.Millisecond)) // the window has closed
	// Output:
	// presumably_false
	// presumably_false
	// false
}

func ExampleCompiled_Explain() {
	c := ltl.MustCompile("G(req -> F[0,2] ack)")
	req, _ := c.AtomIndex("req")
	ex := c.Explain([]ltl.Event{{}, {V: 1 << req}, {}, {}, {}})
	fmt.Println(ex.Verdict, "at", ex.At)
	for _, r := range ex.Slice {
		for i, a := range c.Atoms() {
			if r.Atoms>>i&1 == 1 {
				fmt.Printf("event %d: %s=%v\n", r.Index, a, r.Values>>i&1 == 1)
			}
		}
	}
	// Output:
	// false at 3
	// event 1: ack=false
	// event 1: req=true
	// event 2: ack=false
	// event 3: ack=false
}

func ExampleCompiled_Next() {
	// Explore the automaton: states reachable from the initial one.
	c := ltl.MustCompile("a U b")
	seen := map[ltl.StateID]bool{c.Initial(): true}
	queue := []ltl.StateID{c.Initial()}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		fmt.Printf("%d %-6s accepting=%v decided=%v\n", s, c.StateString(s), c.Accepting(s), c.Decided(s))
		for v := ltl.Valuation(0); v < 1<<len(c.Atoms()); v++ {
			if n := c.Next(s, v); !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	// Output:
	// 0 a U b  accepting=false decided=presumably_false
	// 1 false  accepting=false decided=false
	// 2 true   accepting=true decided=true
}

func ExampleParse_error() {
	_, err := ltl.Parse("G (a & & b)")
	fmt.Println(err)
	// Output:
	// ltl: column 8: expected a formula, found operator "&"
}
