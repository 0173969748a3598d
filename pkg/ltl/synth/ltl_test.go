package synth

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/midstream/midstream/pkg/ltl"
)

func TestFormulas(t *testing.T) {
	for _, tc := range []struct {
		formula    string
		controlled []string
		objective  Objective
		realisable bool
		rank       int // for unrealisable ones
	}{
		{"G(req -> X grant)", []string{"grant"}, NeverViolated, true, 0},
		{"G(req -> X grant)", []string{"req"}, NeverViolated, true, 0},
		{"G(req -> X grant)", nil, NeverViolated, false, 2},
		{"G(req -> X grant)", []string{"grant"}, EveryPrefix, false, 1},
		{"G(env_p -> sys_q) & G(env_p -> !sys_q)", []string{"sys_q"}, NeverViolated, false, 1},
		{"G(env_p -> sys_q)", []string{"sys_q"}, EveryPrefix, true, 0},
		// a then c forces b and !b at the same event; the monitor knows after the c.
		{"G(a -> X X b) & G(c -> X !b)", []string{"b"}, NeverViolated, false, 2},
		{"G(a -> X X b) & G(c -> X !b)", []string{"b", "c"}, NeverViolated, true, 0},
		{"G !(sys_a & sys_b) & G(env -> X(sys_a | sys_b))", []string{"sys_a", "sys_b"}, NeverViolated, true, 0},
		{"G[0,3] !x", nil, NeverViolated, false, 1},
		{"G[0,3] !x", []string{"x"}, EveryPrefix, true, 0},
		{"false", []string{}, NeverViolated, false, 0},
	} {
		c := ltl.MustCompile(tc.formula)
		res, err := SolveCompiled(c, tc.controlled, WithObjective(tc.objective))
		if err != nil {
			t.Fatalf("%s: %v", tc.formula, err)
		}
		if res.Realisable != tc.realisable {
			t.Errorf("%s controlled %v objective %d: realisable %v, want %v (%s)", tc.formula, tc.controlled, tc.objective, res.Realisable, tc.realisable, res.Reason)
			continue
		}
		if res.Realisable {
			playFormula(t, c, res.Strategy, tc.objective)
		} else if res.Counter.Rank != tc.rank {
			t.Errorf("%s: rank %d, want %d (%s)", tc.formula, res.Counter.Rank, tc.rank, res.Reason)
		} else if tc.objective == NeverViolated {
			forceFormula(t, c, res.Counter, tc.controlled)
		}
	}
}

// playFormula checks the strategy with a real monitor: random environment inputs, random
// allowed replies, and the verdict never becomes False (nor, under EveryPrefix, the prefix
// unsatisfied).
func playFormula(t *testing.T, c *ltl.Compiled, st *Strategy, obj Objective) {
	t.Helper()
	r := rand.New(rand.NewSource(1))
	n := len(c.Atoms())
	for trial := 0; trial < 200; trial++ {
		m := c.NewMonitor()
		q := st.Initial()
		for step := 0; step < 30; step++ {
			e := uint32(r.Intn(1<<uint(n))) & st.Environment()
			moves := st.Allowed(q, e)
			mv := moves[r.Intn(len(moves))]
			verdict := m.Step(ltl.Valuation(e | mv.Ctrl))
			q = mv.Next
			if verdict == ltl.False {
				t.Fatalf("%s: strategy violated the rule at step %d", c.Formula(), step)
			}
			if obj == EveryPrefix && !m.Holds() {
				t.Fatalf("%s: strategy left the prefix unsatisfied at step %d", c.Formula(), step)
			}
			if int(m.State()) != st.MonitorState(q) {
				t.Fatalf("%s: strategy state out of step with the monitor", c.Formula())
			}
		}
	}
}

func TestFormulaErrors(t *testing.T) {
	if _, err := SolveCompiled(ltl.MustCompile("F[0,2s] p"), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("timed formula: %v", err)
	}
	if _, err := SolveCompiled(ltl.MustCompile("G(p)"), []string{"q"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown atom: %v", err)
	}
}

// forceFormula plays the environment's forcing moves against random system replies on a real
// monitor and checks the verdict is False within the counter-strategy's rank.
func forceFormula(t *testing.T, c *ltl.Compiled, ct *Counter, controlled []string) {
	t.Helper()
	var ctrl uint32
	for _, name := range controlled {
		i, _ := c.AtomIndex(name)
		ctrl |= 1 << uint(i)
	}
	r := rand.New(rand.NewSource(2))
	for trial := 0; trial < 100; trial++ {
		m := c.NewMonitor()
		for step := 0; m.Verdict() != ltl.False; step++ {
			if step >= ct.Rank && ct.Rank > 0 || ct.Rank == 0 && c.Decided(c.Initial()) != ltl.False {
				t.Fatalf("%s: not violated within rank %d", c.Formula(), ct.Rank)
			}
			if ct.Rank == 0 {
				break
			}
			e, ok := ct.EnvMove(int(m.State()))
			if !ok {
				t.Fatalf("%s: no forcing move in state %d", c.Formula(), m.State())
			}
			m.Step(ltl.Valuation(e | uint32(r.Intn(1<<uint(len(c.Atoms()))))&ctrl))
		}
	}
}
