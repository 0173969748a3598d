package synth_test

import (
	"fmt"

	"github.com/midstream/midstream/pkg/ltl"
	"github.com/midstream/midstream/pkg/ltl/synth"
)

func ExampleSolveCompiled() {
	// Every request must be granted at the next event; the system controls grant.
	c := ltl.MustCompile("G(req -> X grant)")
	res, err := synth.SolveCompiled(c, []string{"grant"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Realisable)
	st := res.Strategy
	q := st.Initial()
	for _, req := range []bool{true, false, false} {
		env := uint32(0)
		if req {
			env = 1 << 1 // atoms are sorted: grant is bit 0, req bit 1
		}
		m := st.Choose(q, env)
		fmt.Printf("req=%v -> play %s\n", req, synth.FormatValuation(st.Atoms(), m.Ctrl))
		q = m.Next
	}

	// Contradictory demands on the same event cannot be met.
	res, _ = synth.SolveCompiled(ltl.MustCompile("G(env_p -> sys_q) & G(env_p -> !sys_q)"), []string{"sys_q"})
	fmt.Println(res.Realisable, res.Reason)
	// Output:
	// true
	// req=true -> play {}
	// req=false -> play {grant}
	// req=false -> play {}
	// false no strategy: the environment forces a violation within 1 event(s); a forced play: [0] env {env_p}, system {} (every system reply loses)
}
