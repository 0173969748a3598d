package ltl

import "slices"

// Residual formulas produced by progression are kept in a canonical disjunctive normal form
// over "leaves" (temporal subformulas and literals): a set of clauses, each a sorted set of
// leaves, with no clause absorbed by another. Leaves occur only positively (negation normal
// form), so this is the unique minimal DNF of a monotone function over finitely many leaves,
// which is what makes the set of reachable residuals finite: syntactic simplification alone
// (associativity, commutativity, idempotence) lets progression nest G b | (F a & (G b | ...))
// forever.

// maxClauses bounds the size of a canonical DNF. Formulas such as a chain of xor over
// temporal operands genuinely need exponentially many clauses; beyond the bound the
// conjunction or disjunction is kept unexpanded (correct, but the residual is no longer
// canonical, so such monitors may discover new states for longer).
const maxClauses = 1024

func (t *table) clauses(x int32) [][]int32 {
	switch {
	case x == t.ff:
		return nil
	case x == t.tt:
		return [][]int32{{}}
	}
	var out [][]int32
	for _, c := range t.flatten(nil, kOr, x) {
		out = append(out, t.flatten(nil, kAnd, c))
	}
	return out
}

// dand returns the canonical DNF of a & b.
func (t *table) dand(a, b int32) int32 {
	switch {
	case a == t.ff || b == t.ff:
		return t.ff
	case a == t.tt:
		return b
	case b == t.tt:
		return a
	case a == b:
		return a
	}
	ca, cb := t.clauses(a), t.clauses(b)
	if len(ca)*len(cb) > maxClauses {
		return t.and(a, b)
	}
	out := make([][]int32, 0, len(ca)*len(cb))
	for _, x := range ca {
		for _, y := range cb {
			c := make([]int32, 0, len(x)+len(y))
			c = append(append(c, x...), y...)
			if c, ok := t.clause(c); ok {
				out = append(out, c)
			}
		}
	}
	return t.build(out)
}

// dor returns the canonical DNF of a | b.
func (t *table) dor(a, b int32) int32 {
	switch {
	case a == t.tt || b == t.tt:
		return t.tt
	case a == t.ff:
		return b
	case b == t.ff:
		return a
	case a == b:
		return a
	}
	ca, cb := t.clauses(a), t.clauses(b)
	if len(ca)+len(cb) > maxClauses {
		return t.or(a, b)
	}
	return t.build(append(ca, cb...))
}

// clause normalises a conjunction of leaves; ok is false if it is unsatisfiable.
func (t *table) clause(c []int32) ([]int32, bool) {
	slices.Sort(c)
	c = slices.Compact(c)
	for _, x := range c {
		n := &t.nodes[x]
		if x == t.ff {
			return nil, false
		}
		if n.k == kLit {
			if y, ok := t.index[nodeKey{k: kLit, atom: n.atom, neg: !n.neg}]; ok {
				if _, found := slices.BinarySearch(c, y); found {
					return nil, false
				}
			}
		}
	}
	c = slices.DeleteFunc(c, func(x int32) bool { return x == t.tt })
	return t.subsume(kAnd, c), true
}

// leafImplies reports whether leaf x implies leaf y (x == y, or nested windows of F or G with
// the same body).
func (t *table) leafImplies(x, y int32) bool {
	if x == y {
		return true
	}
	fx, dx, lx, hx, bx, ok1 := t.interval(x)
	fy, dy, ly, hy, by, ok2 := t.interval(y)
	if !ok1 || !ok2 || fx != fy || bx != by || dx != dy && dx != kF && dy != kF {
		return false
	}
	if fx == kF {
		return ly <= lx && hx <= hy
	}
	return lx <= ly && hy <= hx
}

// build makes the canonical node of a set of clauses: absorbed clauses removed (c2 goes if
// some other clause c1 is implied by it, leaf by leaf), single-leaf windows merged.
func (t *table) build(cs [][]int32) int32 {
	if len(cs) == 0 {
		return t.ff
	}
	// Merge single-leaf clauses (F[0,2] p | F[3,5] p = F[0,5] p).
	var singles []int32
	rest := cs[:0:0]
	for _, c := range cs {
		if len(c) == 0 {
			return t.tt
		}
		if len(c) == 1 {
			singles = append(singles, c[0])
		} else {
			rest = append(rest, c)
		}
	}
	if len(singles) > 1 {
		slices.Sort(singles)
		singles = slices.Compact(singles)
		singles = t.subsume(kOr, singles)
	}
	for _, s := range singles {
		rest = append(rest, []int32{s})
	}
	cs = rest
	slices.SortFunc(cs, func(a, b []int32) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return slices.Compare(a, b)
	})
	keep := cs[:0]
	for _, c := range cs {
		absorbed := false
		for _, k := range keep {
			if t.clauseImplies(c, k) {
				absorbed = true
				break
			}
		}
		if !absorbed {
			keep = append(keep, c)
		}
	}
	ids := make([]int32, len(keep))
	for i, c := range keep {
		r := c[len(c)-1]
		for j := len(c) - 2; j >= 0; j-- {
			r = t.mk(nodeKey{k: kAnd, a: c[j], b: r})
		}
		ids[i] = r
	}
	slices.Sort(ids)
	r := ids[len(ids)-1]
	for j := len(ids) - 2; j >= 0; j-- {
		r = t.mk(nodeKey{k: kOr, a: ids[j], b: r})
	}
	return r
}

// clauseImplies reports whether conjunction c implies conjunction k: every leaf of k is
// implied by some leaf of c.
func (t *table) clauseImplies(c, k []int32) bool {
	for _, y := range k {
		ok := false
		for _, x := range c {
			if t.leafImplies(x, y) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
