package ltl

import (
	"fmt"
	"strings"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tConst // op = OpTrue or OpFalse
	tAtom
	tOp // op holds the operator
)

type token struct {
	kind  tokKind
	op    Op
	pos   int // 0-based byte offset
	atom  string
	bound Bound
}

var keywords = map[string]Op{
	"true": OpTrue, "false": OpFalse, "xor": OpXor, "U": OpUntil, "R": OpRelease, "V": OpRelease,
	"W": OpWeakUntil, "M": OpStrongRelease, "N": OpWeakNext, "X": OpNext, "F": OpEventually,
	"G": OpAlways,
}

func isConstWord(s string) bool {
	l := strings.ToLower(s)
	return l == "true" || l == "false"
}

func identStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func identPart(c byte) bool  { return identStart(c) || isDigit(c) || c == '.' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func prefixOp(c byte) bool   { return c == 'F' || c == 'G' || c == 'X' }

type parser struct {
	in    string
	i     int
	tok   token
	depth int
}

// Parse reads a formula in Spot's LTL syntax extended with bounded operators and the weak
// next N (see docs/ltl.md). Errors are *SyntaxError values carrying the column.
func Parse(s string) (*Formula, error) {
	if len(s) > MaxFormulaLen {
		return nil, &SyntaxError{Pos: MaxFormulaLen + 1, Msg: fmt.Sprintf("formula longer than %d bytes", MaxFormulaLen), Input: s, err: ErrTooLong}
	}
	p := &parser{in: s}
	if err := p.next(); err != nil {
		return nil, err
	}
	f, err := p.expr(1)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf(p.tok.pos, ErrSyntax, "unexpected %s", p.describe())
	}
	return f, nil
}

// MustParse is Parse for formulas known to be valid; it panics on error.
func MustParse(s string) *Formula {
	f, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return f
}

func (p *parser) errf(pos int, sentinel error, format string, a ...any) error {
	return &SyntaxError{Pos: pos + 1, Msg: fmt.Sprintf(format, a...), Input: p.in, err: sentinel}
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of formula"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tAtom:
		return fmt.Sprintf("atom %q", p.tok.atom)
	case tConst:
		return opText[p.tok.op]
	}
	return fmt.Sprintf("operator %q", strings.TrimSpace(opText[p.tok.op]))
}

func binPrec(t token) int {
	if t.kind != tOp || !t.op.binary() {
		return 0
	}
	return t.op.prec()
}

func (p *parser) expr(min int) (*Formula, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.errf(p.tok.pos, ErrTooDeep, "formula nested deeper than %d", MaxDepth)
	}
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		prec := binPrec(p.tok)
		if prec == 0 || prec < min {
			return left, nil
		}
		t := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		nmin := prec + 1
		if t.op.rightAssoc() {
			nmin = prec
		}
		right, err := p.expr(nmin)
		if err != nil {
			return nil, err
		}
		left = &Formula{Op: t.op, L: left, R: right, Bound: t.bound}
	}
}

func (p *parser) unary() (*Formula, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.errf(p.tok.pos, ErrTooDeep, "formula nested deeper than %d", MaxDepth)
	}
	t := p.tok
	switch t.kind {
	case tConst:
		return &Formula{Op: t.op}, p.next()
	case tAtom:
		return &Formula{Op: OpAtom, Atom: t.atom}, p.next()
	case tLParen:
		if err := p.next(); err != nil {
			return nil, err
		}
		f, err := p.expr(1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errf(p.tok.pos, ErrSyntax, "expected \")\" to close \"(\" at column %d, found %s", t.pos+1, p.describe())
		}
		return f, p.next()
	case tOp:
		if t.op.unary() {
			if err := p.next(); err != nil {
				return nil, err
			}
			f, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &Formula{Op: t.op, L: f, Bound: t.bound}, nil
		}
	}
	return nil, p.errf(t.pos, ErrSyntax, "expected a formula, found %s", p.describe())
}

func (p *parser) skipSpace() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	p.skipSpace()
	start := p.i
	p.tok = token{pos: start}
	if p.i >= len(p.in) {
		p.tok.kind = tEOF
		return nil
	}
	in := p.in
	c := in[p.i]
	op := func(o Op, n int) error {
		p.tok.kind, p.tok.op = tOp, o
		p.i += n
		return nil
	}
	has := func(s string) bool { return strings.HasPrefix(in[p.i:], s) }
	switch {
	case c == '(':
		p.tok.kind = tLParen
		p.i++
		return nil
	case c == ')':
		p.tok.kind = tRParen
		p.i++
		return nil
	case c == '!':
		return op(OpNot, 1)
	case has("&&"):
		return op(OpAnd, 2)
	case c == '&':
		return op(OpAnd, 1)
	case has(`/\`):
		return op(OpAnd, 2)
	case has("||"):
		return op(OpOr, 2)
	case c == '|':
		return op(OpOr, 1)
	case has(`\/`):
		return op(OpOr, 2)
	case has("->"), has("=>"):
		return op(OpImplies, 2)
	case has("<->"), has("<=>"):
		return op(OpEquiv, 3)
	case has("<>"):
		_ = op(OpEventually, 2) // op never fails; it returns error to end other cases
		return p.maybeBound()
	case has("[]"):
		_ = op(OpAlways, 2)
		return p.maybeBound()
	case c == '^':
		return op(OpXor, 1)
	case c == '"':
		return p.quoted()
	case isDigit(c):
		j := p.i
		for j < len(in) && identPart(in[j]) {
			j++
		}
		switch in[p.i:j] {
		case "0":
			p.tok.kind, p.tok.op = tConst, OpFalse
		case "1":
			p.tok.kind, p.tok.op = tConst, OpTrue
		default:
			return p.errf(start, ErrSyntax, "unexpected %q (atoms cannot start with a digit)", in[p.i:j])
		}
		p.i = j
		return nil
	case identStart(c):
		j := p.i
		for j < len(in) && identPart(in[j]) {
			j++
		}
		word := in[p.i:j]
		// Spot: an identifier starting with F, G or X is that operator applied to the rest
		// (GFa is G F a), unless the second character is a digit (X0 is an atom).
		if isConstWord(word) {
			p.tok.kind, p.tok.op = tConst, keywords[strings.ToLower(word)]
			p.i = j
			return nil
		}
		if prefixOp(c) && !(len(word) > 1 && isDigit(word[1])) {
			_ = op(keywords[word[:1]], 1)
			return p.maybeBound()
		}
		if o, ok := keywords[word]; ok {
			_ = op(o, len(word))
			if o == OpUntil || o == OpRelease {
				return p.maybeBound()
			}
			return nil
		}
		p.tok.kind, p.tok.atom = tAtom, word
		p.i = j
		return nil
	}
	return p.errf(start, ErrSyntax, "unexpected character %q", c)
}

func (p *parser) quoted() error {
	start := p.i
	var b strings.Builder
	for j := p.i + 1; j < len(p.in); j++ {
		c := p.in[j]
		switch c {
		case '\\':
			if j+1 < len(p.in) {
				j++
				b.WriteByte(p.in[j])
			}
		case '"':
			if b.Len() == 0 {
				return p.errf(start, ErrSyntax, "empty quoted atom")
			}
			p.tok.kind, p.tok.atom = tAtom, b.String()
			p.i = j + 1
			return nil
		default:
			b.WriteByte(c)
		}
	}
	return p.errf(start, ErrSyntax, "unterminated quoted atom")
}

// maybeBound reads "[lo,hi]" after F, G, U or R, or "[!]" after X (Spot's strong next). A "["
// not followed by a digit or "!" is left alone ("F[]p" is F G p).
func (p *parser) maybeBound() error {
	j := p.i
	for j < len(p.in) && (p.in[j] == ' ' || p.in[j] == '\t') {
		j++
	}
	if j >= len(p.in) || p.in[j] != '[' {
		return nil
	}
	k := j + 1
	for k < len(p.in) && p.in[k] == ' ' {
		k++
	}
	if p.tok.op == OpNext {
		if k < len(p.in) && p.in[k] == '!' {
			k++
			for k < len(p.in) && p.in[k] == ' ' {
				k++
			}
			if k < len(p.in) && p.in[k] == ']' {
				p.i = k + 1
				return nil
			}
			return p.errf(k, ErrSyntax, `expected "]" after "X[!"`)
		}
		return nil
	}
	if k >= len(p.in) || !isDigit(p.in[k]) {
		return nil
	}
	p.i = k
	lo, lunit, err := p.number()
	if err != nil {
		return err
	}
	p.skipSpace()
	switch {
	case strings.HasPrefix(p.in[p.i:], ","):
		p.i++
	case strings.HasPrefix(p.in[p.i:], ".."):
		p.i += 2
	default:
		return p.errf(p.i, ErrSyntax, `expected "," in bound`)
	}
	p.skipSpace()
	if p.i >= len(p.in) || !isDigit(p.in[p.i]) {
		return p.errf(p.i, ErrSyntax, "expected the upper bound")
	}
	hiPos := p.i
	hi, hunit, err := p.number()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.i >= len(p.in) || p.in[p.i] != ']' {
		return p.errf(p.i, ErrSyntax, `expected "]" to close the bound`)
	}
	p.i++
	b := Bound{Kind: Steps, Lo: lo, Hi: hi}
	if lunit || hunit {
		b.Kind = Millis
		if !lunit && lo != 0 || !hunit && hi != 0 {
			return p.errf(j, ErrBound, "mixed step and time bounds (give both ends a unit: ms, s or m)")
		}
	}
	if b.Lo > b.Hi {
		return p.errf(j, ErrBound, "empty bound: lower end above upper end")
	}
	if b.Kind == Steps && b.Hi > MaxSteps || b.Kind == Millis && b.Hi > MaxMillis {
		return p.errf(hiPos, ErrBound, "bound too large (at most %d steps or 24h)", MaxSteps)
	}
	p.tok.bound = b
	return nil
}

// number reads a non-negative count or a duration with unit ms, s or m, returned in
// milliseconds when unit is true. Durations must be whole milliseconds.
func (p *parser) number() (v int64, unit bool, err error) {
	start := p.i
	var ip, frac, scale int64 = 0, 0, 1
	for p.i < len(p.in) && isDigit(p.in[p.i]) {
		ip = ip*10 + int64(p.in[p.i]-'0')
		if ip > 1<<40 {
			return 0, false, p.errf(start, ErrBound, "number too large")
		}
		p.i++
	}
	if p.i+1 < len(p.in) && p.in[p.i] == '.' && isDigit(p.in[p.i+1]) {
		p.i++
		for p.i < len(p.in) && isDigit(p.in[p.i]) {
			if scale < 1e6 {
				frac = frac*10 + int64(p.in[p.i]-'0')
				scale *= 10
			}
			p.i++
		}
	}
	var mult int64
	switch {
	case strings.HasPrefix(p.in[p.i:], "ms"):
		mult, p.i = 1, p.i+2
	case strings.HasPrefix(p.in[p.i:], "s"):
		mult, p.i = 1000, p.i+1
	case strings.HasPrefix(p.in[p.i:], "m"):
		mult, p.i = 60000, p.i+1
	}
	if p.i < len(p.in) && identPart(p.in[p.i]) && !strings.HasPrefix(p.in[p.i:], "..") {
		return 0, false, p.errf(start, ErrBound, "bad number or unit (use ms, s or m)")
	}
	if mult == 0 {
		if scale != 1 {
			return 0, false, p.errf(start, ErrBound, "fractional step count")
		}
		return ip, false, nil
	}
	if (frac*mult)%scale != 0 {
		return 0, false, p.errf(start, ErrBound, "durations resolve to whole milliseconds")
	}
	return ip*mult + frac*mult/scale, true, nil
}
