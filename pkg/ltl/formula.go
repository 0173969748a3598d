package ltl

import (
	"sort"
	"strconv"
	"strings"
)

// Op is the operator at the root of a Formula.
type Op uint8

// Operators. Unary operators use Formula.L; binary ones L and R.
const (
	OpTrue          Op = iota // true, 1
	OpFalse                   // false, 0
	OpAtom                    // an atomic proposition (Formula.Atom)
	OpNot                     // ! p
	OpAnd                     // p & q
	OpOr                      // p | q
	OpXor                     // p xor q
	OpImplies                 // p -> q
	OpEquiv                   // p <-> q
	OpNext                    // X p: strong next, false at the last event
	OpWeakNext                // N p: weak next, true at the last event
	OpEventually              // F p, optionally bounded
	OpAlways                  // G p, optionally bounded
	OpUntil                   // p U q (strong), optionally bounded
	OpRelease                 // p R q (weak; dual of U)
	OpWeakUntil               // p W q
	OpStrongRelease           // p M q
)

// BoundKind tells whether a Bound counts events or measures time.
type BoundKind uint8

// Bound kinds.
const (
	Unbounded BoundKind = iota
	Steps               // Lo and Hi count events after the current one
	Millis              // Lo and Hi are milliseconds after the current event's timestamp
)

// Bound is the interval [Lo, Hi] of a bounded F, G, U or R. Both ends are inclusive.
type Bound struct {
	Kind   BoundKind
	Lo, Hi int64
}

// Formula is a parsed LTL formula. Formulas are immutable trees once built; share freely.
type Formula struct {
	Op    Op
	Atom  string   // OpAtom only
	L, R  *Formula // operands
	Bound Bound    // OpEventually, OpAlways, OpUntil, OpRelease only
}

// Constructors, for building formulas programmatically.

// Const returns the constant true or false.
func Const(b bool) *Formula {
	if b {
		return &Formula{Op: OpTrue}
	}
	return &Formula{Op: OpFalse}
}

// Atom returns the atomic proposition name.
func Atom(name string) *Formula { return &Formula{Op: OpAtom, Atom: name} }

// Unary returns op applied to f (OpNot, OpNext, OpWeakNext, OpEventually, OpAlways).
func Unary(op Op, f *Formula) *Formula { return &Formula{Op: op, L: f} }

// Binary returns l op r.
func Binary(op Op, l, r *Formula) *Formula { return &Formula{Op: op, L: l, R: r} }

// Bounded returns a bounded F, G (r nil), U or R.
func Bounded(op Op, b Bound, l, r *Formula) *Formula {
	return &Formula{Op: op, L: l, R: r, Bound: b}
}

func (op Op) unary() bool {
	switch op {
	case OpNot, OpNext, OpWeakNext, OpEventually, OpAlways:
		return true
	}
	return false
}

func (op Op) binary() bool { return op >= OpAnd && op <= OpEquiv || op >= OpUntil }

// Equal reports whether f and g are structurally identical.
func (f *Formula) Equal(g *Formula) bool {
	if f == nil || g == nil {
		return f == g
	}
	if f.Op != g.Op || f.Atom != g.Atom || f.Bound != g.Bound {
		return false
	}
	return f.L.Equal(g.L) && f.R.Equal(g.R)
}

// Size returns the number of operator and atom nodes of f.
func (f *Formula) Size() int {
	if f == nil {
		return 0
	}
	return 1 + f.L.Size() + f.R.Size()
}

// Atoms returns the distinct atomic propositions of f, sorted.
func (f *Formula) Atoms() []string {
	set := map[string]struct{}{}
	var walk func(*Formula)
	walk = func(g *Formula) {
		if g == nil {
			return
		}
		if g.Op == OpAtom {
			set[g.Atom] = struct{}{}
		}
		walk(g.L)
		walk(g.R)
	}
	walk(f)
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Timed reports whether f contains a time-bounded operator.
func (f *Formula) Timed() bool {
	if f == nil {
		return false
	}
	return f.Bound.Kind == Millis || f.L.Timed() || f.R.Timed()
}

// Precedence levels, lowest first (Spot): -> <->, |, xor, &, U R W M, unary.
func (op Op) prec() int {
	switch op {
	case OpImplies, OpEquiv:
		return 1
	case OpOr:
		return 2
	case OpXor:
		return 3
	case OpAnd:
		return 4
	case OpUntil, OpRelease, OpWeakUntil, OpStrongRelease:
		return 5
	case OpNot, OpNext, OpWeakNext, OpEventually, OpAlways:
		return 6
	}
	return 7
}

// rightAssoc: -> <-> and the temporal binary operators associate to the right; & | xor to
// the left.
func (op Op) rightAssoc() bool { return op == OpImplies || op == OpEquiv || op.prec() == 5 }

var opText = [...]string{
	OpTrue: "true", OpFalse: "false", OpNot: "!", OpAnd: " & ", OpOr: " | ", OpXor: " xor ",
	OpImplies: " -> ", OpEquiv: " <-> ", OpNext: "X", OpWeakNext: "N", OpEventually: "F",
	OpAlways: "G", OpUntil: " U ", OpRelease: " R ", OpWeakUntil: " W ", OpStrongRelease: " M ",
}

// String prints f in the syntax Parse reads, with the fewest parentheses that keep the tree:
// Parse(f.String()) is structurally equal to f.
func (f *Formula) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f *Formula) write(b *strings.Builder) {
	switch {
	case f.Op == OpTrue || f.Op == OpFalse:
		b.WriteString(opText[f.Op])
	case f.Op == OpAtom:
		writeAtom(b, f.Atom)
	case f.Op.unary():
		b.WriteString(opText[f.Op])
		if f.Bound.Kind != Unbounded {
			f.Bound.write(b)
		}
		if f.Op != OpNot {
			b.WriteByte(' ')
		}
		child(b, f.L, f.L.Op.prec() < 6)
	default:
		p := f.Op.prec()
		ra := f.Op.rightAssoc()
		lp, rp := f.L.Op.prec(), f.R.Op.prec()
		child(b, f.L, lp < p || lp == p && ra)
		if f.Op == OpUntil || f.Op == OpRelease {
			b.WriteString(opText[f.Op][:2])
			if f.Bound.Kind != Unbounded {
				f.Bound.write(b)
			}
			b.WriteByte(' ')
		} else {
			b.WriteString(opText[f.Op])
		}
		child(b, f.R, rp < p || rp == p && !ra)
	}
}

func child(b *strings.Builder, f *Formula, paren bool) {
	if paren {
		b.WriteByte('(')
		f.write(b)
		b.WriteByte(')')
		return
	}
	f.write(b)
}

func (bd Bound) write(b *strings.Builder) {
	b.WriteByte('[')
	if bd.Kind == Steps {
		b.WriteString(strconv.FormatInt(bd.Lo, 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(bd.Hi, 10))
	} else {
		writeMillis(b, bd.Lo, false)
		b.WriteByte(',')
		writeMillis(b, bd.Hi, true)
	}
	b.WriteByte(']')
}

// writeMillis prints a duration in the largest unit that divides it; a zero lower bound is
// printed bare ("0"): the upper bound always carries the unit that marks the bound as timed.
func writeMillis(b *strings.Builder, ms int64, unit bool) {
	switch {
	case ms == 0 && !unit:
		b.WriteByte('0')
	case ms == 0:
		b.WriteString("0ms")
	case ms%60000 == 0:
		b.WriteString(strconv.FormatInt(ms/60000, 10))
		b.WriteByte('m')
	case ms%1000 == 0:
		b.WriteString(strconv.FormatInt(ms/1000, 10))
		b.WriteByte('s')
	default:
		b.WriteString(strconv.FormatInt(ms, 10))
		b.WriteString("ms")
	}
}

// writeAtom prints a bare identifier when the lexer would read it back as the same atom and
// a double-quoted string otherwise.
func writeAtom(b *strings.Builder, name string) {
	if bareAtom(name) {
		b.WriteString(name)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

func bareAtom(name string) bool {
	if name == "" || !identStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !identPart(name[i]) {
			return false
		}
	}
	if _, kw := keywords[strings.ToLower(name)]; kw && isConstWord(name) {
		return false
	}
	if _, kw := keywords[name]; kw {
		return false
	}
	if prefixOp(name[0]) && !(len(name) > 1 && isDigit(name[1])) {
		return false
	}
	return true
}
