package ltl

import (
	"fmt"
	"math/rand/v2"
)

// A straightforward recursive LTLf evaluator, the reference the monitor is tested against.
// Positions i index a trace of events; event times are in milliseconds.

type refEvent struct {
	v  Valuation
	ms int64
}

type refKey struct {
	f *Formula
	i int
}

// refEval follows the definitions literally; memo only caches (subformula, position) values
// so that nested operators stay polynomial.
func refEval(f *Formula, atoms map[string]int, tr []refEvent, i int, memo map[refKey]bool) bool {
	if v, ok := memo[refKey{f, i}]; ok {
		return v
	}
	v := refEval1(f, atoms, tr, i, memo)
	memo[refKey{f, i}] = v
	return v
}

func refEval1(f *Formula, atoms map[string]int, tr []refEvent, i int, memo map[refKey]bool) bool {
	n := len(tr)
	ev := func(g *Formula, j int) bool { return refEval(g, atoms, tr, j, memo) }
	// window returns the positions j >= i of a bounded or unbounded operator.
	window := func(b Bound) (js []int) {
		for j := i; j < n; j++ {
			switch b.Kind {
			case Unbounded:
				js = append(js, j)
			case Steps:
				if int64(j-i) >= b.Lo && int64(j-i) <= b.Hi {
					js = append(js, j)
				}
			case Millis:
				if d := tr[j].ms - tr[i].ms; d >= b.Lo && d <= b.Hi {
					js = append(js, j)
				}
			}
		}
		return js
	}
	until := func(a, b func(int) bool, bd Bound) bool {
		for _, j := range window(bd) {
			if !b(j) {
				continue
			}
			ok := true
			for k := i; k < j; k++ {
				if !a(k) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	l := func(j int) bool { return ev(f.L, j) }
	r := func(j int) bool { return ev(f.R, j) }
	not := func(p func(int) bool) func(int) bool { return func(j int) bool { return !p(j) } }
	switch f.Op {
	case OpTrue:
		return true
	case OpFalse:
		return false
	case OpAtom:
		return tr[i].v>>uint(atoms[f.Atom])&1 == 1
	case OpNot:
		return !l(i)
	case OpAnd:
		return l(i) && r(i)
	case OpOr:
		return l(i) || r(i)
	case OpXor:
		return l(i) != r(i)
	case OpImplies:
		return !l(i) || r(i)
	case OpEquiv:
		return l(i) == r(i)
	case OpNext:
		return i+1 < n && l(i+1)
	case OpWeakNext:
		return i+1 >= n || l(i+1)
	case OpEventually:
		for _, j := range window(f.Bound) {
			if l(j) {
				return true
			}
		}
		return false
	case OpAlways:
		for _, j := range window(f.Bound) {
			if !l(j) {
				return false
			}
		}
		return true
	case OpUntil:
		return until(l, r, f.Bound)
	case OpRelease:
		return !until(not(l), not(r), f.Bound)
	case OpWeakUntil:
		if until(l, r, Bound{}) {
			return true
		}
		for j := i; j < n; j++ {
			if !l(j) {
				return false
			}
		}
		return true
	case OpStrongRelease: // b U (a & b)
		return until(r, func(j int) bool { return l(j) && r(j) }, Bound{})
	}
	panic(fmt.Sprint("unknown op ", f.Op))
}

func refHolds(f *Formula, c *Compiled, tr []refEvent) bool {
	idx := map[string]int{}
	for i, a := range c.Atoms() {
		idx[a] = i
	}
	return refEval(f, idx, tr, 0, map[refKey]bool{})
}

var randAtoms = []string{"a", "b", "c"}

// randFormula draws a formula of depth at most depth over atoms a, b, c with every operator,
// including step- and time-bounded ones (small bounds so that brute force stays cheap).
func randFormula(r *rand.Rand, depth int, timed bool) *Formula {
	if depth <= 1 || r.IntN(6) == 0 {
		switch r.IntN(8) {
		case 0:
			return Const(r.IntN(2) == 0)
		default:
			return Atom(randAtoms[r.IntN(len(randAtoms))])
		}
	}
	sub := func() *Formula { return randFormula(r, depth-1, timed) }
	bound := func() Bound {
		if timed && r.IntN(2) == 0 {
			ms := []int64{0, 500, 1000, 2000}
			lo, hi := ms[r.IntN(4)], ms[r.IntN(4)]
			return Bound{Kind: Millis, Lo: min(lo, hi), Hi: max(lo, hi)}
		}
		lo, hi := int64(r.IntN(3)), int64(r.IntN(4))
		return Bound{Kind: Steps, Lo: min(lo, hi), Hi: max(lo, hi)}
	}
	switch op := Op(r.IntN(int(OpStrongRelease)-int(OpNot)+1)) + OpNot; {
	case op == OpNot || op == OpNext || op == OpWeakNext:
		return Unary(op, sub())
	case op == OpEventually || op == OpAlways:
		if r.IntN(2) == 0 {
			return Bounded(op, bound(), sub(), nil)
		}
		return Unary(op, sub())
	case op == OpUntil || op == OpRelease:
		if r.IntN(2) == 0 {
			return Bounded(op, bound(), sub(), sub())
		}
		return Binary(op, sub(), sub())
	default:
		return Binary(op, sub(), sub())
	}
}

func randTrace(r *rand.Rand, n, k int, timed bool) []refEvent {
	tr := make([]refEvent, n)
	var ms int64
	for i := range tr {
		if timed && i > 0 {
			ms += []int64{0, 300, 700, 1200}[r.IntN(4)]
		}
		tr[i] = refEvent{v: Valuation(r.Uint64() & (1<<uint(k) - 1)), ms: ms}
	}
	return tr
}
