package ltl

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// Precedence and associativity from Spot's syntax page (spot.lip6.fr/wiki/LtlSyntax, table in
// REFERENCES.md): lowest first -> <-> (right), |, xor, &, U R W M (right), F G, X, !; and its
// lexical rules (GFa is G F a, X0 is an atom, aUb is an atom, constants are case-insensitive).
func TestParsePrecedence(t *testing.T) {
	a, b, c := Atom("a"), Atom("b"), Atom("c")
	cases := []struct {
		in   string
		want *Formula
	}{
		{"a -> b -> c", Binary(OpImplies, a, Binary(OpImplies, b, c))},
		{"a <-> b -> c", Binary(OpEquiv, a, Binary(OpImplies, b, c))},
		{"a => b <=> c", Binary(OpImplies, a, Binary(OpEquiv, b, c))},
		{"a | b -> c", Binary(OpImplies, Binary(OpOr, a, b), c)},
		{"a & b | c", Binary(OpOr, Binary(OpAnd, a, b), c)},
		{"a | b & c", Binary(OpOr, a, Binary(OpAnd, b, c))},
		{"a | b xor c", Binary(OpOr, a, Binary(OpXor, b, c))},
		{"a xor b & c", Binary(OpXor, a, Binary(OpAnd, b, c))},
		{"a ^ b ^ c", Binary(OpXor, Binary(OpXor, a, b), c)},
		{"a & b & c", Binary(OpAnd, Binary(OpAnd, a, b), c)},
		{"a && b || c", Binary(OpOr, Binary(OpAnd, a, b), c)},
		{"a U b & c", Binary(OpAnd, Binary(OpUntil, a, b), c)},
		{"a U b U c", Binary(OpUntil, a, Binary(OpUntil, b, c))},
		{"a R b V c", Binary(OpRelease, a, Binary(OpRelease, b, c))},
		{"a W b M c", Binary(OpWeakUntil, a, Binary(OpStrongRelease, b, c))},
		{"F a U b", Binary(OpUntil, Unary(OpEventually, a), b)},
		{"!a U b", Binary(OpUntil, Unary(OpNot, a), b)},
		{"X a & b", Binary(OpAnd, Unary(OpNext, a), b)},
		{"! X F G a", Unary(OpNot, Unary(OpNext, Unary(OpEventually, Unary(OpAlways, a))))},
		{"GFa", Unary(OpAlways, Unary(OpEventually, a))},
		{"[]<>a", Unary(OpAlways, Unary(OpEventually, a))},
		{"F[]a", Unary(OpEventually, Unary(OpAlways, a))},
		{`GF"GFa"`, Unary(OpAlways, Unary(OpEventually, Atom("GFa")))},
		{"X0", Atom("X0")},
		{"aUb", Atom("aUb")},
		{"(a)U(b)", Binary(OpUntil, a, b)},
		{"TRUE | False & 1 & 0", Binary(OpOr, Const(true), Binary(OpAnd, Binary(OpAnd, Const(false), Const(true)), Const(false)))},
		{"X[!] a", Unary(OpNext, a)},
		{"N a", Unary(OpWeakNext, a)},
		{"G[0,50] !pii", Bounded(OpAlways, Bound{Steps, 0, 50}, Unary(OpNot, Atom("pii")), nil)},
		{"F[0,2s] tool_result", Bounded(OpEventually, Bound{Millis, 0, 2000}, Atom("tool_result"), nil)},
		{"F[1..3] a", Bounded(OpEventually, Bound{Steps, 1, 3}, a, nil)},
		{"a U[100ms, 1.5s] b", Bounded(OpUntil, Bound{Millis, 100, 1500}, a, b)},
		{"a R[0,2m] b", Bounded(OpRelease, Bound{Millis, 0, 120000}, a, b)},
		{`"tool call" & x.y`, Binary(OpAnd, Atom("tool call"), Atom("x.y"))},
		{`"q\"uote"`, Atom(`q"uote`)},
		{`a /\ b \/ c`, Binary(OpOr, Binary(OpAnd, a, b), c)},
	}
	for _, tc := range cases {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("%q parsed as %s, want %s", tc.in, got, tc.want)
		}
		back, err := Parse(got.String())
		if err != nil || !back.Equal(got) {
			t.Errorf("%q printed as %q does not round-trip (%v)", tc.in, got.String(), err)
		}
	}
}

func TestPrintMinimalParentheses(t *testing.T) {
	for in, want := range map[string]string{
		"(a U b) U c":          "(a U b) U c",
		"a U (b U c)":          "a U b U c",
		"((a & b) & c)":        "a & b & c",
		"a & (b & c)":          "a & (b & c)",
		"(a -> b) -> c":        "(a -> b) -> c",
		"G (a -> F[0,3] b)":    "G (a -> F[0,3] b)",
		"!(a)":                 "!a",
		"!(a | b)":             "!(a | b)",
		"F[0,2000ms] x":        "F[0,2s] x",
		"F[0ms,0ms] x":         "F[0,0ms] x",
		`"N" & "true" & "Foo"`: `"N" & "true" & "Foo"`,
	} {
		f, err := Parse(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := f.String(); got != want {
			t.Errorf("%q printed as %q, want %q", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in       string
		pos      int
		sentinel error
	}{
		{"a & & b", 5, ErrSyntax},
		{"(a | b", 7, ErrSyntax},
		{"a b", 3, ErrSyntax},
		{"", 1, ErrSyntax},
		{"a $ b", 3, ErrSyntax},
		{"F[3,1] a", 2, ErrBound},
		{"F[1,2s] a", 2, ErrBound},
		{"F[0,1.5] a", 5, ErrBound},
		{"F[0,1000000] a", 5, ErrBound},
		{`"abc`, 1, ErrSyntax},
		{"12", 1, ErrSyntax},
		{"a U", 4, ErrSyntax},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos != tc.pos || !errors.Is(err, tc.sentinel) {
			t.Errorf("%q: got %v (pos %v), want column %d %v", tc.in, err, se, tc.pos, tc.sentinel)
		}
	}
	long := make([]byte, MaxFormulaLen+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := Parse(string(long)); !errors.Is(err, ErrTooLong) {
		t.Errorf("long input: %v", err)
	}
	deep := ""
	for i := 0; i < MaxDepth+5; i++ {
		deep += "!"
	}
	if _, err := Parse(deep + "a"); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep input: %v", err)
	}
}

func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 5000; i++ {
		f := randFormula(r, 1+i%6, true)
		s := f.String()
		g, err := Parse(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !g.Equal(f) {
			t.Fatalf("%q re-parsed as %q", s, g)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a", "G !pii", "F[0,2s] tool_result", "a U[1,3] b", "GFa", "X[!]a", "N a",
		`"x\"y"`, "((((a))))", "a -> b <-> c", "F[1..2]a", "[]<>a", "!", "F[", "a U[0,1.5s] b", "X0 & Fx",
		"TRUE ^ 0", "F[0,0ms] x", `a /\ b \/ c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 1 || se.Pos > len(s)+1 && !errors.Is(err, ErrTooLong) {
				t.Fatalf("%q: bad error %v", s, err)
			}
			return
		}
		p := g.String()
		h, err := Parse(p)
		if err != nil || !h.Equal(g) {
			t.Fatalf("%q printed %q re-parsed %v %v", s, p, h, err)
		}
		if h.String() != p {
			t.Fatalf("printing not idempotent: %q vs %q", p, h.String())
		}
	})
}
