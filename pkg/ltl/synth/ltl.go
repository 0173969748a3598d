package synth

import (
	"fmt"

	"github.com/midstream/midstream/pkg/ltl"
)

// monitorAutomaton adapts a compiled LTL monitor.
type monitorAutomaton struct{ c *ltl.Compiled }

// FromCompiled returns the Automaton of a compiled formula: its states are the monitor's
// states, "violated" is a definitive False verdict and "accepting" the LTLf value at the end
// of the trace. Time-bounded formulas are refused: their transitions depend on timestamps,
// which the game does not model.
func FromCompiled(c *ltl.Compiled) (Automaton, error) {
	if c.Timed() {
		return nil, fmt.Errorf("%w: %s has time-bounded operators; synthesis handles step-bounded and unbounded ones", ErrInvalid, c.Formula())
	}
	if n := len(c.Atoms()); n > MaxAtoms {
		return nil, &LimitError{What: "atoms", Value: n, Limit: MaxAtoms}
	}
	return monitorAutomaton{c}, nil
}

func (m monitorAutomaton) Atoms() []string { return m.c.Atoms() }
func (m monitorAutomaton) Initial() int    { return int(m.c.Initial()) }
func (m monitorAutomaton) Step(s int, v uint32) int {
	return int(m.c.Next(ltl.StateID(s), ltl.Valuation(v)))
}
func (m monitorAutomaton) Violated(s int) bool  { return m.c.Decided(ltl.StateID(s)) == ltl.False }
func (m monitorAutomaton) Accepting(s int) bool { return m.c.Accepting(ltl.StateID(s)) }

// SolveCompiled solves the safety game of compiled formula c with the named propositions
// controlled by the system. The strategy's and counter-strategy's monitor states are states
// of c (state ids are per Compiled: a formula compiled twice numbers its states
// independently).
func SolveCompiled(c *ltl.Compiled, controlled []string, opts ...Option) (*Result, error) {
	a, err := FromCompiled(c)
	if err != nil {
		return nil, err
	}
	return Solve(a, controlled, opts...)
}
