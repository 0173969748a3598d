package ltl

import (
	"errors"
	"fmt"
)

// Sentinel errors; the typed errors below wrap them.
var (
	// ErrSyntax is wrapped by every *SyntaxError.
	ErrSyntax = errors.New("ltl: syntax error")
	// ErrTooLong reports a formula text longer than MaxFormulaLen.
	ErrTooLong = errors.New("ltl: formula too long")
	// ErrTooDeep reports a formula nested deeper than MaxDepth.
	ErrTooDeep = errors.New("ltl: formula nested too deeply")
	// ErrTooManyAtoms reports a formula with more than MaxAtoms distinct atoms.
	ErrTooManyAtoms = errors.New("ltl: too many atomic propositions")
	// ErrBound reports an invalid bound such as F[5,2] p or a bound beyond the limits.
	ErrBound = errors.New("ltl: invalid bound")
)

// Limits on external input.
const (
	// MaxFormulaLen is the longest formula text Parse accepts, in bytes.
	MaxFormulaLen = 64 << 10
	// MaxDepth is the deepest operator nesting Parse accepts.
	MaxDepth = 256
	// MaxAtoms is the largest number of distinct atomic propositions of a compiled formula;
	// valuations are 64-bit sets and the top bits are kept for the decision procedure.
	MaxAtoms = 48
	// MaxSteps is the largest step bound (F[0,MaxSteps] p).
	MaxSteps = 1 << 16
	// MaxMillis is the largest time bound, in milliseconds (24 hours).
	MaxMillis = 24 * 3600 * 1000
)

// SyntaxError describes a formula that does not parse. Pos is the 1-based byte column of the
// offending token in the input.
type SyntaxError struct {
	Pos   int
	Msg   string
	Input string
	err   error // the sentinel: ErrSyntax, ErrTooLong, ErrTooDeep or ErrBound
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("ltl: column %d: %s", e.Pos, e.Msg)
}

// Unwrap returns the sentinel error (ErrSyntax, ErrTooLong, ErrTooDeep or ErrBound).
func (e *SyntaxError) Unwrap() error { return e.err }
