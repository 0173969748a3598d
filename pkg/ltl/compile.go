package ltl

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StateID identifies a monitor state (a residual formula) of one Compiled formula. IDs are
// small dense integers starting at 0 (the initial state), stable for the Compiled's lifetime.
type StateID int32

// Valuation is a set of true atoms: bit i is atom i of Compiled.Atoms.
type Valuation uint64

// Verdict is the online verdict on a trace prefix.
type Verdict uint8

// Verdicts. False and True are definitive: every finite continuation of the prefix (including
// ending it now) agrees. The presumable verdicts are the LTLf value if the trace ended now.
const (
	PresumablyFalse Verdict = iota
	PresumablyTrue
	False
	True
)

var verdictText = [...]string{"presumably_false", "presumably_true", "false", "true"}

func (v Verdict) String() string {
	if int(v) < len(verdictText) {
		return verdictText[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Definitive reports whether v is True or False.
func (v Verdict) Definitive() bool { return v >= False }

// Holds reports whether v is True or PresumablyTrue.
func (v Verdict) Holds() bool { return v == True || v == PresumablyTrue }

// freshBase is the first valuation bit the decision procedure uses for abstracted timed
// subformulas; it is MaxAtoms, so formula atoms never collide with it.
const freshBase = MaxAtoms

// denseAtoms is the largest atom count whose transitions are kept in a dense array (2^k
// entries per state); larger formulas and timed ones use a map.
const denseAtoms = 8

type config struct {
	budget int
}

// Option configures Compile.
type Option func(*config)

// WithDecisionBudget bounds the number of transitions the decision procedure may explore to
// decide one state (default 1<<16). A state whose exploration exceeds it is reported with a
// presumable verdict, never a wrong definitive one.
func WithDecisionBudget(n int) Option { return func(c *config) { c.budget = max(n, 1) } }

// Compiled is a formula compiled into a lazily built monitor automaton. It is safe for
// concurrent use: many Monitors, in many goroutines, may share one Compiled; transitions
// found by one are reused by all.
type Compiled struct {
	f       *Formula
	atoms   []string
	atomIdx map[string]int
	timed   bool
	maxMs   int64 // largest time bound: longer delays all act alike
	k       int   // number of atoms
	dense   bool
	cfg     config

	mu      sync.Mutex
	t       *table
	states  []int32 // StateID -> node
	stateOf map[int32]StateID
	sparse  map[transKey]StateID
	pmemo   map[transKey]int32 // node-level transitions used by the decision procedure
	nodeDec map[int32]Verdict  // decided verdicts by node
	nnfMemo map[nnfKey]int32   // during Compile only
	snap    atomic.Pointer[snapshot]
}

type transKey struct {
	s int32
	d int32
	v uint64
}

// snapshot holds the lock-free read side of the transition table: once an entry is set it
// never changes, so readers holding an old snapshot see correct (if fewer) entries.
type snapshot struct {
	next []atomic.Int32  // dense: state<<k | v -> next state, -1 if unknown
	verd []atomic.Uint32 // state -> verdict+1, 0 if not yet decided
}

// Compile compiles f. The initial state is 0.
func Compile(f *Formula, opts ...Option) (*Compiled, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil formula", ErrSyntax)
	}
	c := &Compiled{f: f, atoms: f.Atoms(), timed: f.Timed(), cfg: config{budget: 1 << 16}}
	for _, o := range opts {
		o(&c.cfg)
	}
	if len(c.atoms) > MaxAtoms {
		return nil, fmt.Errorf("%w: %d atoms, at most %d", ErrTooManyAtoms, len(c.atoms), MaxAtoms)
	}
	if err := checkBounds(f); err != nil {
		return nil, err
	}
	c.k = len(c.atoms)
	c.maxMs = maxMillis(f)
	c.dense = !c.timed && c.k <= denseAtoms
	c.atomIdx = make(map[string]int, c.k)
	for i, a := range c.atoms {
		c.atomIdx[a] = i
	}
	c.t = newTable()
	c.stateOf = map[int32]StateID{}
	c.sparse = map[transKey]StateID{}
	c.pmemo = map[transKey]int32{}
	c.nodeDec = map[int32]Verdict{}
	c.snap.Store(&snapshot{})
	c.mu.Lock()
	c.state(c.nnf(f, false))
	c.nnfMemo = nil
	c.mu.Unlock()
	return c, nil
}

// MustCompile parses and compiles s, panicking on error; for formulas fixed in code.
func MustCompile(s string, opts ...Option) *Compiled {
	c, err := Compile(MustParse(s), opts...)
	if err != nil {
		panic(err)
	}
	return c
}

func maxMillis(f *Formula) int64 {
	if f == nil {
		return 0
	}
	m := max(maxMillis(f.L), maxMillis(f.R))
	if f.Bound.Kind == Millis {
		m = max(m, f.Bound.Hi)
	}
	return m
}

func checkBounds(f *Formula) error {
	if f == nil {
		return nil
	}
	if b := f.Bound; b.Kind != Unbounded {
		lim := int64(MaxSteps)
		if b.Kind == Millis {
			lim = MaxMillis
		}
		if b.Lo < 0 || b.Lo > b.Hi || b.Hi > lim || f.Op != OpEventually && f.Op != OpAlways && f.Op != OpUntil && f.Op != OpRelease {
			return fmt.Errorf("%w: %s", ErrBound, f)
		}
	}
	if err := checkBounds(f.L); err != nil {
		return err
	}
	return checkBounds(f.R)
}

type nnfKey struct {
	f   *Formula
	neg bool
}

// nnf converts f (negated if neg) to a node in negation normal form. It is memoised by
// subformula because xor and <-> use both polarities of their operands: without it a chain
// of n nested xor would take 2^n calls.
func (c *Compiled) nnf(f *Formula, neg bool) int32 {
	if c.nnfMemo == nil {
		c.nnfMemo = map[nnfKey]int32{}
	}
	if x, ok := c.nnfMemo[nnfKey{f, neg}]; ok {
		return x
	}
	x := c.nnf1(f, neg)
	c.nnfMemo[nnfKey{f, neg}] = x
	return x
}

func (c *Compiled) nnf1(f *Formula, neg bool) int32 {
	t := c.t
	pick := func(a, b kind) kind {
		if neg {
			return b
		}
		return a
	}
	switch f.Op {
	case OpTrue, OpFalse:
		if (f.Op == OpTrue) != neg {
			return t.tt
		}
		return t.ff
	case OpAtom:
		return t.lit(c.atomIdx[f.Atom], neg)
	case OpNot:
		return c.nnf(f.L, !neg)
	case OpAnd, OpOr:
		a, b := c.nnf(f.L, neg), c.nnf(f.R, neg)
		if (f.Op == OpAnd) != neg {
			return t.and(a, b)
		}
		return t.or(a, b)
	case OpImplies: // !a | b
		a, b := c.nnf(f.L, !neg), c.nnf(f.R, neg)
		if neg {
			return t.and(a, b)
		}
		return t.or(a, b)
	case OpXor, OpEquiv:
		// a <-> b = (a & b) | (!a & !b); a xor b = !(a <-> b) = (a & !b) | (!a & b).
		eq := (f.Op == OpEquiv) != neg
		a, na := c.nnf(f.L, false), c.nnf(f.L, true)
		b, nb := c.nnf(f.R, false), c.nnf(f.R, true)
		if eq {
			return t.or(t.and(a, b), t.and(na, nb))
		}
		return t.or(t.and(a, nb), t.and(na, b))
	case OpNext:
		return t.un(pick(kX, kN), c.nnf(f.L, neg))
	case OpWeakNext:
		return t.un(pick(kN, kX), c.nnf(f.L, neg))
	case OpEventually, OpAlways:
		k := pick(kF, kG)
		if f.Op == OpAlways {
			k = pick(kG, kF)
		}
		a := c.nnf(f.L, neg)
		switch f.Bound.Kind {
		case Steps:
			return t.bnd(k-kF+kFs, f.Bound.Lo, f.Bound.Hi, a, 0)
		case Millis:
			return t.bnd(k-kF+kFt, f.Bound.Lo, f.Bound.Hi, a, 0)
		}
		return t.un(k, a)
	case OpUntil, OpRelease:
		k := pick(kU, kR)
		if f.Op == OpRelease {
			k = pick(kR, kU)
		}
		a, b := c.nnf(f.L, neg), c.nnf(f.R, neg)
		switch f.Bound.Kind {
		case Steps:
			return t.bnd(k-kU+kUs, f.Bound.Lo, f.Bound.Hi, a, b)
		case Millis:
			return t.bnd(k-kU+kUt, f.Bound.Lo, f.Bound.Hi, a, b)
		}
		return t.bin(k, a, b)
	case OpWeakUntil:
		// a W b = b R (a | b); !(a W b) = !b U (!a & !b).
		a, b := c.nnf(f.L, neg), c.nnf(f.R, neg)
		if neg {
			return t.bin(kU, b, t.and(a, b))
		}
		return t.bin(kR, b, t.or(a, b))
	case OpStrongRelease:
		// a M b = b U (a & b); !(a M b) = !b R (!a | !b).
		a, b := c.nnf(f.L, neg), c.nnf(f.R, neg)
		if neg {
			return t.bin(kR, b, t.or(a, b))
		}
		return t.bin(kU, b, t.and(a, b))
	}
	panic("ltl: unknown operator")
}

// state returns the StateID of node x, registering it. Caller holds c.mu.
func (c *Compiled) state(x int32) StateID {
	if s, ok := c.stateOf[x]; ok {
		return s
	}
	s := StateID(len(c.states))
	c.states = append(c.states, x)
	c.stateOf[x] = s
	old := c.snap.Load()
	if len(c.states) > len(old.verd) {
		n := max(16, 2*len(old.verd))
		ns := &snapshot{verd: make([]atomic.Uint32, n)}
		for i := range old.verd {
			ns.verd[i].Store(old.verd[i].Load())
		}
		if c.dense {
			ns.next = make([]atomic.Int32, n<<c.k)
			for i := range ns.next {
				if i < len(old.next) {
					ns.next[i].Store(old.next[i].Load())
				} else {
					ns.next[i].Store(-1)
				}
			}
		}
		c.snap.Store(ns)
	}
	return s
}

// Formula returns the compiled formula.
func (c *Compiled) Formula() *Formula { return c.f }

// Atoms returns the atomic propositions, sorted; atom i is bit i of a Valuation. The slice
// must not be modified.
func (c *Compiled) Atoms() []string { return c.atoms }

// AtomIndex returns the bit of atom name.
func (c *Compiled) AtomIndex(name string) (int, bool) {
	i, ok := c.atomIdx[name]
	return i, ok
}

// Timed reports whether the formula has time-bounded operators (use Monitor.StepAt).
func (c *Compiled) Timed() bool { return c.timed }

// Initial returns the initial state, 0.
func (c *Compiled) Initial() StateID { return 0 }

// NumStates returns the number of states discovered so far.
func (c *Compiled) NumStates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.states)
}

// ValuationOf returns the valuation of a map from atom names (absent means false; names
// that are not atoms of the formula are ignored).
func (c *Compiled) ValuationOf(m map[string]bool) Valuation {
	var v Valuation
	for name, ok := range m {
		if i, found := c.atomIdx[name]; found && ok {
			v |= 1 << uint(i)
		}
	}
	return v
}

// ValuationFunc returns the valuation given by lookup, called once per atom.
func (c *Compiled) ValuationFunc(lookup func(atom string) bool) Valuation {
	var v Valuation
	for i, a := range c.atoms {
		if lookup(a) {
			v |= 1 << uint(i)
		}
	}
	return v
}

// Next returns the state after an event with valuation v (bits beyond the formula's atoms are
// ignored). For timed formulas it is NextAt with no time elapsed.
func (c *Compiled) Next(s StateID, v Valuation) StateID { return c.NextAt(s, v, 0) }

// NextAt returns the state after an event with valuation v that happened dt after the
// previous event (ignored for the first event of a trace and for untimed formulas; negative
// values count as 0; time resolution is 1 ms). Panics if s is not a state of c.
func (c *Compiled) NextAt(s StateID, v Valuation, dt time.Duration) StateID {
	v &= c.vmask()
	if c.dense {
		sn := c.snap.Load()
		if i := int(s)<<c.k | int(v); i < len(sn.next) {
			if n := sn.next[i].Load(); n >= 0 {
				return StateID(n)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextLocked(s, v, dt)
}

func (c *Compiled) vmask() Valuation {
	return Valuation(uint64(1)<<uint(c.k) - 1)
}

func (c *Compiled) clampDelta(dt time.Duration) int32 {
	if !c.timed || dt <= 0 {
		return 0
	}
	// Every window is at most maxMs long, so any longer delay closes them all alike; clamping
	// keeps the memo table finite.
	return int32(min(dt.Milliseconds(), c.maxMs+1))
}

func (c *Compiled) nextLocked(s StateID, v Valuation, dt time.Duration) StateID {
	d := c.clampDelta(dt)
	x := c.states[s]
	if !c.t.nodes[x].anch {
		d = 0 // no window of x is measured from the previous event
	}
	key := transKey{s: int32(s), v: uint64(v) & c.t.nodes[x].mask, d: d}
	if !c.dense {
		if n, ok := c.sparse[key]; ok {
			return n
		}
	}
	n := c.state(c.t.prog(x, uint64(v), int64(d)))
	if c.dense {
		sn := c.snap.Load()
		sn.next[int(s)<<c.k|int(v)].Store(int32(n))
	} else {
		c.sparse[key] = n
	}
	return n
}

// Accepting reports whether the trace satisfies the formula if it ends in state s (the LTLf
// value). The initial state's value is that of the empty trace, which LTLf leaves undefined:
// by this package's rules F, U, X and atoms are false on it and G, R, N true.
func (c *Compiled) Accepting(s StateID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.nodes[c.states[s]].eps
}

// Decided returns True or False if every finite continuation from state s (including the
// empty one) agrees, and otherwise the presumable verdict (the value if the trace ended in s).
// The answer is exact for untimed formulas within the decision budget; see docs/ltl.md for
// timed ones, where it is sound but may come later than possible.
func (c *Compiled) Decided(s StateID) Verdict {
	sn := c.snap.Load()
	if int(s) < len(sn.verd) {
		if v := sn.verd[s].Load(); v != 0 {
			return Verdict(v - 1)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decidedLocked(s)
}

func (c *Compiled) decidedLocked(s StateID) Verdict {
	sn := c.snap.Load()
	if v := sn.verd[s].Load(); v != 0 {
		return Verdict(v - 1)
	}
	x := c.states[s]
	var v Verdict
	if c.timed && c.t.nodes[x].timed {
		if a, ok := c.abstract(x); ok {
			v = c.decideNode(a)
		} else {
			v = c.presumable(x)
		}
		if !v.Definitive() {
			// The abstraction's presumable verdict is about the abstraction; report x's.
			v = c.presumable(x)
		}
	} else {
		v = c.decideNode(x)
	}
	c.snap.Load().verd[s].Store(uint32(v) + 1)
	return v
}

func (c *Compiled) presumable(x int32) Verdict {
	if c.t.nodes[x].eps {
		return PresumablyTrue
	}
	return PresumablyFalse
}

// decideNode explores the residual formulas reachable from x over all valuations of the atoms
// they mention: x is definitely true iff every reachable formula holds on the empty
// continuation, definitely false iff none does. The graph is finite because residuals are
// hash-consed canonical boolean combinations of finitely many temporal subformulas.
func (c *Compiled) decideNode(x int32) Verdict {
	if v, ok := c.nodeDec[x]; ok {
		return v
	}
	t := c.t
	canAcc, canRej := false, false
	seen := map[int32]bool{x: true}
	queue := []int32{x}
	work := 0
	exhausted := false
	for len(queue) > 0 && !(canAcc && canRej) {
		y := queue[0]
		queue = queue[1:]
		if v, ok := c.nodeDec[y]; ok && y != x {
			switch v {
			case True:
				canAcc = true
			case False:
				canRej = true
			default:
				canAcc, canRej = true, true
			}
			continue
		}
		if t.nodes[y].eps {
			canAcc = true
		} else {
			canRej = true
		}
		mask := t.nodes[y].mask
		if popcount(mask) > 20 {
			exhausted = true
			break
		}
		for v := uint64(0); ; v = (v - mask) & mask {
			work++
			if work > c.cfg.budget {
				exhausted = true
				break
			}
			key := transKey{s: y, v: v}
			z, ok := c.pmemo[key]
			if !ok {
				z = t.prog(y, v, 0)
				c.pmemo[key] = z
			}
			if !seen[z] {
				seen[z] = true
				queue = append(queue, z)
				// Classify on discovery so that the common undecided case stops after
				// a few transitions instead of a whole breadth-first layer.
				if d, ok := c.nodeDec[z]; ok {
					canAcc = canAcc || d != False
					canRej = canRej || d != True
				} else if t.nodes[z].eps {
					canAcc = true
				} else {
					canRej = true
				}
				if canAcc && canRej {
					break
				}
			}
			if v == mask {
				break
			}
		}
		if exhausted {
			break
		}
	}
	var v Verdict
	switch {
	case exhausted || canAcc && canRej:
		v = c.presumable(x)
	case canAcc:
		v = True
	default:
		v = False
	}
	if !exhausted {
		c.nodeDec[x] = v
	}
	return v
}

// abstract replaces every maximal time-bounded subformula of x by a fresh atom that may take
// any value at any event (or'ed with "the trace ends here" for weak ones, so that the empty
// continuation keeps its value). Every real continuation maps to an abstract one, so a
// definitive verdict for the abstraction is definitive for x.
func (c *Compiled) abstract(x int32) (int32, bool) {
	fresh := map[int32]int32{}
	memo := map[int32]int32{}
	ok := true
	var walk func(y int32) int32
	walk = func(y int32) int32 {
		n := c.t.nodes[y]
		if !n.timed {
			return y
		}
		if r, done := memo[y]; done {
			return r
		}
		var r int32
		switch {
		case n.k.timedK():
			if _, have := fresh[y]; !have {
				if len(fresh) >= 64-freshBase {
					ok = false
					return c.t.tt
				}
				fresh[y] = c.t.lit(freshBase+len(fresh), false)
			}
			r = fresh[y]
			if n.eps {
				r = c.t.dor(r, c.t.end)
			}
		case n.k == kAnd:
			r = c.t.dand(walk(n.a), walk(n.b))
		case n.k == kOr:
			r = c.t.dor(walk(n.a), walk(n.b))
		case n.k.binaryT():
			r = c.t.bnd(n.k, int64(n.lo), int64(n.hi), walk(n.a), walk(n.b))
		default:
			r = c.t.bnd(n.k, int64(n.lo), int64(n.hi), walk(n.a), 0)
		}
		memo[y] = r
		return r
	}
	r := walk(x)
	return r, ok
}

// StateString prints the residual formula of state s (anchored time windows print as
// "F~[a,b] p": measured from the previous event).
func (c *Compiled) StateString(s StateID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	c.t.write(&b, c.states[s], c.atoms)
	return b.String()
}

// StateAtoms returns the bit set of atoms the residual formula of s mentions: the only ones
// whose values can change the next state.
func (c *Compiled) StateAtoms(s StateID) Valuation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Valuation(c.t.nodes[c.states[s]].mask)
}
