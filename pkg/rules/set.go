package rules

import (
	"fmt"
	"math"
	"regexp"
)

// Set is a compiled rule set. It is immutable and safe for concurrent use; every response
// gets its own Stream from NewStream.
type Set struct {
	names  []string
	kinds  []Kind
	index  map[string]int
	descr  []string
	words  int
	config Config

	regexes []regexProp
	tailLen int        // bytes of text kept for regexes: the largest max_len plus context
	regexAC *acMachine // required literals of the regexes; outputs are indices into regexes

	acExact, acFold *acMachine

	email, phone, card                []int
	toolStart, toolEnd, toolInvalid   []int
	jsonPrefix, jsonComplete, final   []int
	finish                            []finishProp
	signals                           []signalProp
	needLogprob, needEntropy, needGap bool
}

type regexProp struct {
	prop     int
	rev      *regexp.Regexp
	maxLen   int
	filtered bool // runs only when one of its required literals ended inside the window
}

type finishProp struct {
	prop   int
	values []string
}

type cmpOp uint8

const (
	opLT cmpOp = iota
	opLE
	opGT
	opGE
	opEQ
	opNE
)

type signalProp struct {
	prop   int
	signal Signal
	op     cmpOp
	value  float64
}

func (p signalProp) holds(x float64) bool {
	switch p.op {
	case opLT:
		return x < p.value
	case opLE:
		return x <= p.value
	case opGT:
		return x > p.value
	case opGE:
		return x >= p.value
	case opEQ:
		return x == p.value
	}
	return x != p.value
}

var ops = map[string]cmpOp{"<": opLT, "<=": opLE, ">": opGT, ">=": opGE, "==": opEQ, "!=": opNE}

var signalNames = map[Signal]bool{
	SignalMinLogprob: true, SignalMeanLogprob: true, SignalEntropy: true, SignalMeanEntropy: true,
	SignalGapMS: true, SignalChunkLen: true, SignalTokens: true, SignalSeq: true,
}

// Compile validates cfg and compiles it into a Set. Errors are *ConfigError values naming the
// proposition and field.
func Compile(cfg Config) (*Set, error) {
	if cfg.Version != 0 && cfg.Version != 1 {
		return nil, &ConfigError{Index: -1, Field: "version", Err: fmt.Errorf("%w: version %d, this build reads 1", ErrInvalid, cfg.Version)}
	}
	if len(cfg.Props) == 0 {
		return nil, &ConfigError{Index: -1, Field: "props", Err: fmt.Errorf("%w: no propositions", ErrInvalid)}
	}
	if len(cfg.Props) > MaxProps {
		return nil, &ConfigError{Index: -1, Field: "props", Err: fmt.Errorf("%w: %d propositions, limit %d", ErrTooLarge, len(cfg.Props), MaxProps)}
	}
	s := &Set{index: make(map[string]int, len(cfg.Props)), words: (len(cfg.Props) + 63) / 64}
	var exact, fold, regexLits []acKeyword
	nkw, kwBytes := 0, 0
	for i, p := range cfg.Props {
		bad := func(field string, sentinel error, format string, args ...any) error {
			return &ConfigError{Index: i, Name: p.Name, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
		}
		if !validName(p.Name) {
			return nil, bad("name", ErrInvalid, "%q is not an identifier of at most %d bytes ([A-Za-z_][A-Za-z0-9_.]*, not an LTL operator)", p.Name, MaxNameLen)
		}
		if j, dup := s.index[p.Name]; dup {
			return nil, bad("name", ErrInvalid, "duplicate of props[%d]", j)
		}
		s.index[p.Name] = i
		s.names = append(s.names, p.Name)
		s.kinds = append(s.kinds, p.Kind)
		s.descr = append(s.descr, p.Description)
		// Fields that do not belong to the kind are refused so that typos do not pass silently.
		if p.Kind != KindRegex && (p.Pattern != "" || p.MaxLen != 0) {
			return nil, bad("pattern", ErrInvalid, "pattern and max_len belong to kind regex only")
		}
		if p.Kind != KindKeyword && (len(p.Keywords) != 0 || p.IgnoreCase) {
			return nil, bad("keywords", ErrInvalid, "keywords and ignore_case belong to kind keyword only")
		}
		if p.Kind != KindSignal && (p.Signal != "" || p.Op != "" || p.Value != nil) {
			return nil, bad("signal", ErrInvalid, "signal, op and value belong to kind signal only")
		}
		if p.Kind != KindFinish && len(p.Values) != 0 {
			return nil, bad("values", ErrInvalid, "values belong to kind finish only")
		}
		switch p.Kind {
		case KindRegex:
			if p.Pattern == "" {
				return nil, bad("pattern", ErrInvalid, "empty")
			}
			if len(p.Pattern) > MaxPatternLen {
				return nil, bad("pattern", ErrTooLarge, "%d bytes, limit %d", len(p.Pattern), MaxPatternLen)
			}
			maxLen := p.MaxLen
			if maxLen == 0 {
				maxLen = DefaultRegexMax
			}
			if maxLen < 1 || maxLen > MaxRegexWindow {
				return nil, bad("max_len", ErrInvalid, "%d, want 1..%d", p.MaxLen, MaxRegexWindow)
			}
			rev, lits, err := compileRegex(p.Pattern)
			if err != nil {
				return nil, bad("pattern", ErrInvalid, "%v", err)
			}
			for _, l := range lits {
				regexLits = append(regexLits, acKeyword{l, len(s.regexes)})
			}
			s.regexes = append(s.regexes, regexProp{prop: i, rev: rev, maxLen: maxLen, filtered: lits != nil})
			// Four more bytes so that a cut can move back to a rune start.
			s.tailLen = max(s.tailLen, maxLen+utfMax)
		case KindKeyword:
			if len(p.Keywords) == 0 {
				return nil, bad("keywords", ErrInvalid, "empty")
			}
			for k, kw := range p.Keywords {
				if kw == "" {
					return nil, bad(fmt.Sprintf("keywords[%d]", k), ErrInvalid, "empty keyword")
				}
				if len(kw) > MaxKeywordLen {
					return nil, bad(fmt.Sprintf("keywords[%d]", k), ErrTooLarge, "%d bytes, limit %d", len(kw), MaxKeywordLen)
				}
				nkw++
				kwBytes += len(kw)
				if p.IgnoreCase {
					fold = append(fold, acKeyword{kw, i})
				} else {
					exact = append(exact, acKeyword{kw, i})
				}
			}
			if nkw > MaxKeywords || kwBytes > MaxKeywordBytes {
				return nil, bad("keywords", ErrTooLarge, "the set has %d keywords of %d bytes, limits %d and %d", nkw, kwBytes, MaxKeywords, MaxKeywordBytes)
			}
		case KindEmail:
			s.email = append(s.email, i)
		case KindPhone:
			s.phone = append(s.phone, i)
		case KindCard:
			s.card = append(s.card, i)
		case KindToolCallStart:
			s.toolStart = append(s.toolStart, i)
		case KindToolCallEnd:
			s.toolEnd = append(s.toolEnd, i)
		case KindToolArgsInvalid:
			s.toolInvalid = append(s.toolInvalid, i)
		case KindJSONPrefix:
			s.jsonPrefix = append(s.jsonPrefix, i)
		case KindJSONComplete:
			s.jsonComplete = append(s.jsonComplete, i)
		case KindFinal:
			s.final = append(s.final, i)
		case KindFinish:
			if len(p.Values) == 0 || len(p.Values) > MaxFinishReasons {
				return nil, bad("values", ErrInvalid, "%d finish reasons, want 1..%d", len(p.Values), MaxFinishReasons)
			}
			s.finish = append(s.finish, finishProp{prop: i, values: append([]string(nil), p.Values...)})
		case KindSignal:
			if !signalNames[p.Signal] {
				return nil, bad("signal", ErrInvalid, "unknown signal %q", p.Signal)
			}
			op, ok := ops[p.Op]
			if !ok {
				return nil, bad("op", ErrInvalid, "%q, want one of < <= > >= == !=", p.Op)
			}
			if p.Value == nil || math.IsNaN(*p.Value) || math.IsInf(*p.Value, 0) {
				return nil, bad("value", ErrInvalid, "missing or not finite")
			}
			s.signals = append(s.signals, signalProp{prop: i, signal: p.Signal, op: op, value: *p.Value})
			switch p.Signal {
			case SignalMinLogprob, SignalMeanLogprob:
				s.needLogprob = true
			case SignalEntropy, SignalMeanEntropy:
				s.needEntropy = true
			case SignalGapMS:
				s.needGap = true
			}
		case "":
			return nil, bad("kind", ErrInvalid, "missing")
		default:
			return nil, bad("kind", ErrInvalid, "unknown kind %q", p.Kind)
		}
	}
	var err error
	if len(exact) > 0 {
		if s.acExact, err = buildAC(exact, false); err != nil {
			return nil, &ConfigError{Index: -1, Field: "keywords", Err: err}
		}
	}
	if len(fold) > 0 {
		if s.acFold, err = buildAC(fold, true); err != nil {
			return nil, &ConfigError{Index: -1, Field: "keywords", Err: err}
		}
	}
	if len(regexLits) > 0 {
		// Folding ASCII case makes the prefilter accept more, never less, than the regex.
		if s.regexAC, err = buildAC(regexLits, true); err != nil {
			return nil, &ConfigError{Index: -1, Field: "pattern", Err: err}
		}
	}
	s.config = cfg
	return s, nil
}

const utfMax = 4

// Len returns the number of propositions.
func (s *Set) Len() int { return len(s.names) }

// Names returns the proposition names in index order. The caller must not modify the slice.
func (s *Set) Names() []string { return s.names }

// Name returns the name of proposition i; it panics if i is out of range.
func (s *Set) Name(i int) string { return s.names[i] }

// Kind returns the kind of proposition i; it panics if i is out of range.
func (s *Set) Kind(i int) Kind { return s.kinds[i] }

// Index returns the index of the named proposition.
func (s *Set) Index(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Words returns the length in 64-bit words of the valuations of s.
func (s *Set) Words() int { return s.words }

// Config returns the document s was compiled from.
func (s *Set) Config() Config { return s.config }

// RegexWindow returns the number of bytes of text a Stream keeps between chunks for regex
// propositions (0 when the set has none).
func (s *Set) RegexWindow() int { return s.tailLen }

// Lookup returns the indices of the named propositions, in order, for projecting valuations
// onto a rule's atoms. An unknown name is an error matching ErrUnknownProp.
func (s *Set) Lookup(names []string) ([]int, error) {
	out := make([]int, len(names))
	for j, n := range names {
		i, ok := s.index[n]
		if !ok {
			return nil, fmt.Errorf("%w: %q (the rule set has %d propositions)", ErrUnknownProp, n, len(s.names))
		}
		out[j] = i
	}
	return out, nil
}
