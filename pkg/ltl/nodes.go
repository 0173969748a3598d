package ltl

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Residual formulas live in a hash-consed table of nodes in negation normal form: every
// structurally distinct formula has exactly one id, so a monitor state is an int32 and
// transitions can be memoised by id.

type kind uint8

const (
	kTrue kind = iota
	kFalse
	kLit // atom, neg
	kAnd // a & b, canonical right-nested chain
	kOr  // a | b, canonical right-nested chain
	kX   // strong next
	kN   // weak next
	kF
	kG
	kU
	kR
	kFs // step-bounded, lo/hi in events
	kGs
	kUs
	kRs
	kFt // time-bounded, window relative to the current event
	kGt
	kUt
	kRt
	kFa // time-bounded, window relative to the previous event ("anchored" residual)
	kGa
	kUa
	kRa
)

type nodeKey struct {
	k      kind
	neg    bool
	atom   int16
	a, b   int32
	lo, hi int32
}

type node struct {
	nodeKey
	eps   bool   // value on the empty continuation (end of trace)
	timed bool   // contains a time-bounded operator
	anch  bool   // contains a window anchored at the previous event (depends on the delay)
	mask  uint64 // atoms occurring
	size  int32
}

type table struct {
	nodes []node
	index map[nodeKey]int32
	tt    int32 // true
	ff    int32 // false
	more  int32 // F true: "another event follows"
	end   int32 // G false: "the trace ends here"
	buf   []int32
}

func newTable() *table {
	t := &table{index: map[nodeKey]int32{}}
	t.tt = t.mk(nodeKey{k: kTrue})
	t.ff = t.mk(nodeKey{k: kFalse})
	t.more = t.mk(nodeKey{k: kF, a: t.tt})
	t.end = t.mk(nodeKey{k: kG, a: t.ff})
	return t
}

func (k kind) bounded() bool  { return k >= kFs }
func (k kind) timedK() bool   { return k >= kFt }
func (k kind) anchored() bool { return k >= kFa }
func (k kind) binaryT() bool {
	switch k {
	case kU, kR, kUs, kRs, kUt, kRt, kUa, kRa:
		return true
	}
	return false
}

func (t *table) mk(key nodeKey) int32 {
	if id, ok := t.index[key]; ok {
		return id
	}
	n := node{nodeKey: key, size: 1}
	switch key.k {
	case kTrue:
		n.eps = true
	case kFalse, kLit:
		if key.k == kLit {
			n.mask = 1 << uint(key.atom)
		}
	default:
		a := &t.nodes[key.a]
		n.mask, n.timed, n.anch, n.size = a.mask, a.timed, a.anch, 1+a.size
		if key.k == kAnd || key.k == kOr || key.k.binaryT() {
			b := &t.nodes[key.b]
			n.mask |= b.mask
			n.timed = n.timed || b.timed
			n.anch = n.anch || b.anch
			n.size += b.size
		}
		switch key.k {
		case kAnd:
			n.eps = a.eps && t.nodes[key.b].eps
		case kOr:
			n.eps = a.eps || t.nodes[key.b].eps
		case kN, kG, kR, kGs, kRs, kGt, kRt, kGa, kRa:
			n.eps = true
		}
		if key.k.timedK() {
			n.timed = true
		}
		if key.k.anchored() {
			n.anch = true
		}
	}
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, n)
	t.index[key] = id
	return id
}

func (t *table) lit(atom int, neg bool) int32 {
	return t.mk(nodeKey{k: kLit, atom: int16(atom), neg: neg})
}

func (t *table) un(k kind, a int32) int32 { return t.mk(nodeKey{k: k, a: a}) }

func (t *table) bin(k kind, a, b int32) int32 { return t.mk(nodeKey{k: k, a: a, b: b}) }

func (t *table) bnd(k kind, lo, hi int64, a, b int32) int32 {
	return t.mk(nodeKey{k: k, a: a, b: b, lo: int32(lo), hi: int32(hi)})
}

func (t *table) and(a, b int32) int32 { return t.assoc(kAnd, a, b) }
func (t *table) or(a, b int32) int32  { return t.assoc(kOr, a, b) }

// assoc builds a canonical conjunction or disjunction: flattened, constants absorbed, sorted
// by id, duplicates and subsumed bounded operands removed, complementary literals detected.
// The canonical form is what keeps the set of residual formulas finite.
func (t *table) assoc(k kind, a, b int32) int32 {
	unit, zero := t.tt, t.ff
	if k == kOr {
		unit, zero = t.ff, t.tt
	}
	switch {
	case a == zero || b == zero:
		return zero
	case a == unit:
		return b
	case b == unit:
		return a
	case a == b:
		return a
	}
	start := len(t.buf)
	t.buf = t.flatten(t.buf, k, a)
	t.buf = t.flatten(t.buf, k, b)
	xs := t.buf[start:]
	slices.Sort(xs)
	xs = slices.Compact(xs)
	// Complementary literals.
	for i := range xs {
		n := &t.nodes[xs[i]]
		if n.k != kLit {
			continue
		}
		if c, ok := t.index[nodeKey{k: kLit, atom: n.atom, neg: !n.neg}]; ok {
			if _, found := slices.BinarySearch(xs, c); found {
				t.buf = t.buf[:start]
				return zero
			}
		}
	}
	xs = t.subsume(k, xs)
	r := xs[len(xs)-1]
	for i := len(xs) - 2; i >= 0; i-- {
		r = t.mk(nodeKey{k: k, a: xs[i], b: r})
	}
	t.buf = t.buf[:start]
	return r
}

func (t *table) flatten(dst []int32, k kind, x int32) []int32 {
	for t.nodes[x].k == k {
		dst = append(dst, t.nodes[x].a)
		x = t.nodes[x].b
	}
	return append(dst, x)
}

// interval returns the window of an F or G node: its family (kF or kG), its domain (kF for
// unbounded, else the bounded kind's F variant: kFs, kFt or kFa), window and body.
func (t *table) interval(x int32) (fam kind, dom kind, lo, hi int64, body int32, ok bool) {
	n := &t.nodes[x]
	switch n.k {
	case kF, kG:
		return n.k, kF, 0, 1 << 62, n.a, true
	case kFs, kGs, kFt, kGt, kFa, kGa:
		d := n.k - (n.k-kFs)%4
		return kF + (n.k-kFs)%4, d, int64(n.lo), int64(n.hi), n.a, true
	}
	return 0, 0, 0, 0, 0, false
}

// subsume drops operands implied by another (in a conjunction) or implying another (in a
// disjunction) among F/G operators with the same body, and merges overlapping windows of F in
// a disjunction and of G in a conjunction. Without it, G(q -> F[0,50] p) would accumulate one
// residual F[0,k] p per q. Windows compare when they count in the same domain (steps, time
// from the next event, time from the previous event); an unbounded window covers them all.
func (t *table) subsume(k kind, xs []int32) []int32 {
	nb := 0
	for _, x := range xs {
		if _, _, _, _, _, ok := t.interval(x); ok {
			nb++
		}
	}
	if nb < 2 {
		return xs
	}
	for changed := true; changed; {
		changed = false
	outer:
		for i := 0; i < len(xs); i++ {
			fi, di, li, hi, bi, ok := t.interval(xs[i])
			if !ok {
				continue
			}
			for j := 0; j < len(xs); j++ {
				if i == j {
					continue
				}
				fj, dj, lj, hj, bj, ok := t.interval(xs[j])
				if !ok || fi != fj || bi != bj || di != dj && di != kF && dj != kF {
					continue
				}
				// Does x_i imply x_j? F: window i inside window j. G: window j inside i.
				var iImpJ bool
				if fi == kF {
					iImpJ = lj <= li && hi <= hj
				} else {
					iImpJ = li <= lj && hj <= hi
				}
				drop := -1
				switch {
				case k == kAnd && iImpJ:
					drop = j
				case k == kOr && iImpJ:
					drop = i
				case di == dj && di != kF && (fi == kF) == (k == kOr) && li <= hj+1 && lj <= hi+1:
					// Union of overlapping or adjacent windows (integer events or ms).
					xs[i] = t.mk(nodeKey{k: t.nodes[xs[i]].k, a: bi, lo: int32(min(li, lj)), hi: int32(max(hi, hj))})
					drop = j
				}
				if drop >= 0 {
					xs = slices.Delete(xs, drop, drop+1)
					slices.Sort(xs)
					xs = slices.Compact(xs)
					changed = true
					break outer
				}
			}
		}
	}
	return xs
}

// String prints a node in the package's formula syntax, for debugging and StateString.
// Anchored time windows print as "F~[a,b]" (relative to the previous event).
func (t *table) String(x int32) string {
	var b strings.Builder
	t.write(&b, x, atomsNone)
	return b.String()
}

var atomsNone []string

func (t *table) write(b *strings.Builder, x int32, atoms []string) {
	n := &t.nodes[x]
	paren := func(y int32) {
		k := t.nodes[y].k
		if k == kAnd || k == kOr || k.binaryT() {
			b.WriteByte('(')
			t.write(b, y, atoms)
			b.WriteByte(')')
		} else {
			t.write(b, y, atoms)
		}
	}
	win := func(unit bool) {
		b.WriteByte('[')
		if unit {
			writeMillis(b, int64(n.lo), n.hi == 0)
			b.WriteByte(',')
			writeMillis(b, int64(n.hi), true)
		} else {
			b.WriteString(strconv.Itoa(int(n.lo)) + "," + strconv.Itoa(int(n.hi)))
		}
		b.WriteByte(']')
	}
	switch n.k {
	case kTrue:
		b.WriteString("true")
	case kFalse:
		b.WriteString("false")
	case kLit:
		if n.neg {
			b.WriteByte('!')
		}
		if int(n.atom) < len(atoms) {
			writeAtom(b, atoms[n.atom])
		} else {
			b.WriteString("p" + strconv.Itoa(int(n.atom)))
		}
	case kAnd, kOr:
		paren(n.a)
		if n.k == kAnd {
			b.WriteString(" & ")
		} else {
			b.WriteString(" | ")
		}
		paren(n.b)
	default:
		name := [...]string{kX: "X", kN: "N", kF: "F", kG: "G", kU: "U", kR: "R", kFs: "F", kGs: "G", kUs: "U", kRs: "R",
			kFt: "F", kGt: "G", kUt: "U", kRt: "R", kFa: "F~", kGa: "G~", kUa: "U~", kRa: "R~"}[n.k]
		if n.k.binaryT() {
			paren(n.a)
			b.WriteString(" " + name)
			if n.k.bounded() {
				win(n.k.timedK())
			}
			b.WriteByte(' ')
			paren(n.b)
			return
		}
		b.WriteString(name)
		if n.k.bounded() {
			win(n.k.timedK())
		}
		b.WriteByte(' ')
		paren(n.a)
	}
}

func popcount(m uint64) int { return bits.OnesCount64(m) }
