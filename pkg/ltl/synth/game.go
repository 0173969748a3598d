package synth

import (
	"fmt"
	"math/bits"
)

// Limits of the game.
const (
	MaxAtoms  = 16      // propositions; valuations are enumerated, 2^16 per state
	MaxStates = 1 << 14 // reachable monitor states
	MaxCells  = 1 << 22 // states × valuations in the transition table (16 MiB, and as much again to solve)
)

// Automaton is the view of a compiled monitor that synthesis needs. States are small
// non-negative integers; a valuation has bit i set when atom i is true.
type Automaton interface {
	// Atoms returns the proposition names, index i being bit i of a valuation.
	Atoms() []string
	// Initial returns the state before any event.
	Initial() int
	// Step returns the state after an event with valuation v.
	Step(state int, v uint32) int
	// Violated reports whether every continuation from state violates the rule (the
	// monitor's verdict is definitely false).
	Violated(state int) bool
	// Accepting reports whether the trace read so far satisfies the rule if it ends here.
	Accepting(state int) bool
}

// Objective says what the system must guarantee.
type Objective uint8

const (
	// NeverViolated: the monitor never reaches a definitely-false state. Obligations may be
	// pending when the trace stops (for G(req -> X grant), a req on the last event).
	NeverViolated Objective = iota
	// EveryPrefix: every prefix of the trace satisfies the rule under finite-trace semantics,
	// so the trace may stop at any event. Stronger; often unrealisable when the environment
	// can raise obligations.
	EveryPrefix
)

type config struct {
	objective Objective
}

// Option configures Solve.
type Option func(*config)

// WithObjective sets the objective (default NeverViolated).
func WithObjective(o Objective) Option { return func(c *config) { c.objective = o } }

// game is the explored state graph.
type game struct {
	atoms   []string
	ctrl    uint32      // valuation bits the system sets
	env     uint32      // valuation bits the environment sets
	nv      int         // 2^atoms
	ids     []int       // dense index → monitor state
	index   map[int]int // monitor state → dense index, for ids beyond the dense slice
	trans   []int32     // dense state * nv + valuation → dense state
	bad     []bool
	initial int
}

func explore(a Automaton, ctrl uint32, obj Objective) (*game, error) {
	atoms := a.Atoms()
	if len(atoms) > MaxAtoms {
		return nil, &LimitError{What: "atoms", Value: len(atoms), Limit: MaxAtoms}
	}
	all := uint32(1)<<uint(len(atoms)) - 1
	if ctrl&^all != 0 {
		return nil, fmt.Errorf("%w: controlled mask %#x has bits beyond the %d atoms", ErrInvalid, ctrl, len(atoms))
	}
	g := &game{atoms: atoms, ctrl: ctrl, env: all &^ ctrl, nv: 1 << uint(len(atoms)), index: map[int]int{}}
	// Monitor states are small dense integers: look them up in a slice, and only fall back to
	// the map for ids beyond denseLimit.
	const denseLimit = 4 * MaxStates
	var dense []int32 // monitor state → dense index + 1, 0 for unseen
	add := func(s int) (int, error) {
		if s >= 0 && s < len(dense) && dense[s] > 0 {
			return int(dense[s]) - 1, nil
		}
		if d, ok := g.index[s]; ok {
			return d, nil
		}
		if len(g.ids) >= MaxStates {
			return 0, &LimitError{What: "reachable states", Value: len(g.ids) + 1, Limit: MaxStates}
		}
		if (len(g.ids)+1)*g.nv > MaxCells {
			return 0, &LimitError{What: "transition cells", Value: (len(g.ids) + 1) * g.nv, Limit: MaxCells}
		}
		d := len(g.ids)
		if s >= 0 && s < denseLimit {
			for len(dense) <= s {
				dense = append(dense, 0)
			}
			dense[s] = int32(d) + 1
		} else {
			g.index[s] = d
		}
		g.ids = append(g.ids, s)
		bad := a.Violated(s) || obj == EveryPrefix && !a.Accepting(s)
		g.bad = append(g.bad, bad)
		return d, nil
	}
	var err error
	if g.initial, err = add(a.Initial()); err != nil {
		return nil, err
	}
	for q := 0; q < len(g.ids); q++ {
		g.trans = append(g.trans, make([]int32, g.nv)...)
		if g.bad[q] {
			// A violated state is lost whatever follows; its successors need not be explored.
			for v := range g.nv {
				g.trans[q*g.nv+v] = int32(q)
			}
			continue
		}
		for v := 0; v < g.nv; v++ {
			d, err := add(a.Step(g.ids[q], uint32(v)))
			if err != nil {
				return nil, err
			}
			g.trans[q*g.nv+v] = int32(d)
		}
	}
	return g, nil
}

// subsets calls f for every subset of mask (including 0 and mask), in increasing order;
// it stops when f returns false and reports whether it ran to the end.
func subsets(mask uint32, f func(uint32) bool) bool {
	s := uint32(0)
	for {
		if !f(s) {
			return false
		}
		if s == mask {
			return true
		}
		s = (s - mask) & mask
	}
}

// solve computes the environment's attractor of the bad states. rank[s] is the number of
// events within which the environment can force a bad state from s (0 for bad states), or
// -1 when the system can stay safe forever from s; envMove[s] is a forcing environment
// valuation. It is the linear-time backward attractor: for every state and environment move
// a counter of system replies that still avoid the attractor; a state joins when one of its
// counters reaches zero. States are processed in order of rank, so ranks are minimal.
func (g *game) solve() (rank []int, envMove []uint32) {
	n, nv := len(g.ids), g.nv
	nenv := 1 << uint(popcount(g.env))
	nctrl := int32(1) << uint(popcount(g.ctrl))
	envIdx := make([]int32, nv) // valuation → index of its environment part
	for v := range envIdx {
		envIdx[v] = int32(compress(uint32(v)&g.env, g.env))
	}
	// Reverse edges (cells whose successor is t), for non-bad sources only.
	start := make([]int32, n+1)
	for cell, t := range g.trans {
		if !g.bad[cell/nv] {
			start[t+1]++
		}
	}
	for i := 0; i < n; i++ {
		start[i+1] += start[i]
	}
	rev := make([]int32, start[n])
	pos := append([]int32(nil), start[:n]...)
	for cell, t := range g.trans {
		if !g.bad[cell/nv] {
			rev[pos[t]] = int32(cell)
			pos[t]++
		}
	}
	count := make([]int32, n*nenv)
	for i := range count {
		count[i] = nctrl
	}
	rank = make([]int, n)
	envMove = make([]uint32, n)
	var queue []int
	for s := range rank {
		rank[s] = -1
		if g.bad[s] {
			rank[s] = 0
			queue = append(queue, s)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		t := queue[qi]
		for _, cell := range rev[start[t]:start[t+1]] {
			s, v := int(cell)/nv, int(cell)%nv
			if rank[s] >= 0 {
				continue
			}
			ci := s*nenv + int(envIdx[v])
			if count[ci]--; count[ci] == 0 {
				rank[s] = rank[t] + 1
				envMove[s] = uint32(v) & g.env
				queue = append(queue, s)
			}
		}
	}
	return rank, envMove
}

func popcount(x uint32) int { return bits.OnesCount32(x) }
