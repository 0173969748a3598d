package synth

import (
	"fmt"
	"strings"
)

// Result is the outcome of Solve: a strategy when the system can win, otherwise a
// counter-strategy of the environment with a play that forces the violation.
type Result struct {
	Realisable bool
	Strategy   *Strategy // set when Realisable
	Counter    *Counter  // set when not
	Reason     string    // one line for people
}

// Move is one allowed system reply: the controlled valuation (only controlled bits set) and
// the strategy state it leads to.
type Move struct {
	Ctrl uint32
	Next int
}

// Strategy is a finite automaton that keeps the rule safe: in strategy state q, after the
// environment's valuation env (only environment bits set), the system may play any of
// Allowed(q, env); every one of them keeps the monitor inside the winning region, so the
// strategy is maximally permissive for the objective. States are indices 0..Len()-1;
// MonitorState maps them to monitor states.
type Strategy struct {
	atoms   []string
	ctrl    uint32
	env     uint32
	initial int
	states  []int // monitor state per strategy state
	nenv    int
	off     []int32 // state*nenv + envIndex → moves[off[i]:off[i+1]]
	moves   []Move
}

// Atoms returns the proposition names; bit i of a valuation is atom i.
func (s *Strategy) Atoms() []string { return s.atoms }

// Controlled returns the mask of the propositions the system sets.
func (s *Strategy) Controlled() uint32 { return s.ctrl }

// Environment returns the mask of the propositions the environment sets.
func (s *Strategy) Environment() uint32 { return s.env }

// Initial returns the initial strategy state.
func (s *Strategy) Initial() int { return s.initial }

// Len returns the number of strategy states.
func (s *Strategy) Len() int { return len(s.states) }

// MonitorState returns the monitor state that strategy state q tracks.
func (s *Strategy) MonitorState(q int) int { return s.states[q] }

// Allowed returns the system's allowed replies in state q to environment valuation env. It
// panics if q is out of range or env has controlled bits (caller mistakes). The slice is
// shared; do not modify it.
func (s *Strategy) Allowed(q int, env uint32) []Move {
	if env&^s.env != 0 {
		panic(fmt.Sprintf("synth: environment valuation %#x sets controlled or unknown bits", env))
	}
	i := q*s.nenv + int(compress(env, s.env))
	return s.moves[s.off[i]:s.off[i+1]]
}

// Choose returns one allowed reply, the one with the numerically smallest controlled mask:
// with it the strategy is a deterministic Mealy machine.
func (s *Strategy) Choose(q int, env uint32) Move { return s.Allowed(q, env)[0] }

// compress gathers the bits of v selected by mask into the low bits (a software PEXT), so
// environment valuations index a dense table.
func compress(v, mask uint32) uint32 {
	var out uint32
	for b := uint32(0); mask != 0; mask &= mask - 1 {
		low := mask & -mask
		if v&low != 0 {
			out |= 1 << b
		}
		b++
	}
	return out
}

// Counter is the environment's winning strategy: from every losing state, a valuation that
// forces every system reply closer to a violation.
type Counter struct {
	atoms []string
	// Rank is the number of events within which the environment forces a violation from
	// the initial state (0: the rule is violated before any event).
	Rank int
	// Play is one forced play from the initial state to a violation, the system resisting as
	// long as it can.
	Play    []Step
	envMove map[int]uint32
}

// Step is one event of a play.
type Step struct {
	State    int    // monitor state before the event
	Env      uint32 // environment's valuation
	Ctrl     uint32 // system's valuation
	Next     int    // monitor state after the event
	Violated bool   // Next is a violation (for the objective)
}

// EnvMove returns the environment's forcing valuation in monitor state s, if s is losing for
// the system and not yet violated.
func (c *Counter) EnvMove(s int) (uint32, bool) {
	e, ok := c.envMove[s]
	return e, ok
}

// Solve plays the safety game of automaton a in which the system sets the propositions named
// in controlled and the environment the rest; in every event the environment moves first and
// the system replies knowing its move. It returns ErrInvalid for an unknown or repeated
// controlled name and ErrTooLarge beyond MaxAtoms, MaxStates or MaxCells.
func Solve(a Automaton, controlled []string, opts ...Option) (*Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	atoms := a.Atoms()
	var ctrl uint32
	for _, name := range controlled {
		i := indexOf(atoms, name)
		if i < 0 {
			return nil, fmt.Errorf("%w: controlled proposition %q is not an atom of the rule (atoms %v)", ErrInvalid, name, atoms)
		}
		if i >= MaxAtoms {
			return nil, &LimitError{What: "atoms", Value: len(atoms), Limit: MaxAtoms}
		}
		if ctrl&(1<<uint(i)) != 0 {
			return nil, fmt.Errorf("%w: controlled proposition %q listed twice", ErrInvalid, name)
		}
		ctrl |= 1 << uint(i)
	}
	g, err := explore(a, ctrl, cfg.objective)
	if err != nil {
		return nil, err
	}
	rank, envMove := g.solve()
	if rank[g.initial] < 0 {
		st := g.strategy(rank)
		return &Result{Realisable: true, Strategy: st,
			Reason: fmt.Sprintf("the system wins: a strategy with %d states keeps the rule from being violated", st.Len())}, nil
	}
	c := g.counter(rank, envMove)
	return &Result{Counter: c, Reason: c.reason(g)}, nil
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// strategy restricts the winning region to the states reachable under the allowed moves.
func (g *game) strategy(rank []int) *Strategy {
	nenv := 1 << uint(popcount(g.env))
	st := &Strategy{atoms: g.atoms, ctrl: g.ctrl, env: g.env, nenv: nenv}
	local := map[int]int{} // dense game state → strategy state
	var queue []int
	visit := func(s int) int {
		if q, ok := local[s]; ok {
			return q
		}
		q := len(st.states)
		local[s] = q
		st.states = append(st.states, g.ids[s])
		queue = append(queue, s)
		return q
	}
	st.initial = visit(g.initial)
	// Moves are emitted per state in order; the table of state q is complete before q+1's.
	for q := 0; q < len(queue); q++ {
		s := queue[q]
		subsets(g.env, func(e uint32) bool {
			st.off = append(st.off, int32(len(st.moves)))
			subsets(g.ctrl, func(c uint32) bool {
				t := int(g.trans[s*g.nv+int(e|c)])
				if rank[t] < 0 {
					st.moves = append(st.moves, Move{Ctrl: c, Next: visit(t)})
				}
				return true
			})
			return true
		})
	}
	st.off = append(st.off, int32(len(st.moves)))
	return st
}

func (g *game) counter(rank []int, envMove []uint32) *Counter {
	c := &Counter{atoms: g.atoms, Rank: rank[g.initial], envMove: map[int]uint32{}}
	for s, r := range rank {
		if r > 0 {
			c.envMove[g.ids[s]] = envMove[s]
		}
	}
	for s := g.initial; !g.bad[s]; {
		e := envMove[s]
		best, bestRank := uint32(0), -1
		subsets(g.ctrl, func(ct uint32) bool {
			if r := rank[g.trans[s*g.nv+int(e|ct)]]; r > bestRank {
				best, bestRank = ct, r
			}
			return true
		})
		t := int(g.trans[s*g.nv+int(e|best)])
		c.Play = append(c.Play, Step{State: g.ids[s], Env: e, Ctrl: best, Next: g.ids[t], Violated: g.bad[t]})
		s = t
	}
	return c
}

func (c *Counter) reason(g *game) string {
	if c.Rank == 0 {
		return "no strategy: the rule is violated before any event"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no strategy: the environment forces a violation within %d event(s); a forced play:", c.Rank)
	for i, s := range c.Play {
		fmt.Fprintf(&b, " [%d] env %s, system %s", i, FormatValuation(g.atoms, s.Env), FormatValuation(g.atoms, s.Ctrl))
	}
	b.WriteString(" (every system reply loses)")
	return b.String()
}

// FormatValuation writes the true atoms of v as {a, b}.
func FormatValuation(atoms []string, v uint32) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for i, a := range atoms {
		if v&(1<<uint(i)) != 0 {
			if !first {
				b.WriteString(", ")
			}
			b.WriteString(a)
			first = false
		}
	}
	b.WriteByte('}')
	return b.String()
}

// String prints the strategy as a table: one line per strategy state and environment
// valuation, with the allowed controlled valuations and their successor states.
func (s *Strategy) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "strategy: %d states, initial %d, system controls %s\n", len(s.states), s.initial,
		FormatValuation(s.atoms, s.ctrl))
	for q := range s.states {
		subsets(s.env, func(e uint32) bool {
			fmt.Fprintf(&b, "q%d (monitor %d) env %s:", q, s.states[q], FormatValuation(s.atoms, e))
			for _, m := range s.Allowed(q, e) {
				fmt.Fprintf(&b, " %s→q%d", FormatValuation(s.atoms, m.Ctrl), m.Next)
			}
			b.WriteByte('\n')
			return true
		})
	}
	return b.String()
}
