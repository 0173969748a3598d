package seq

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrEmpty is matched when an input that must hold data holds none.
	ErrEmpty = errors.New("seq: empty input")
	// ErrLength is matched when inputs must have equal (or bounded) lengths and do not.
	ErrLength = errors.New("seq: length mismatch")
	// ErrNaN is matched when a numeric input holds NaN or an infinity.
	ErrNaN = errors.New("seq: non-finite value")
	// ErrTooLarge is matched when an input exceeds a size limit.
	ErrTooLarge = errors.New("seq: input too large")
	// ErrSyntax is matched when a file is malformed.
	ErrSyntax = errors.New("seq: syntax error")
	// ErrConstant is matched when a series has zero variance and cannot be z-normalised.
	ErrConstant = errors.New("seq: constant series")
	// ErrOption is matched when an option or argument is out of range.
	ErrOption = errors.New("seq: invalid option")
)

// ParseError locates a problem in an input file. Err matches one of the sentinels.
type ParseError struct {
	File string // the name given by the caller, e.g. a path or "-"
	Line int    // 1-based; 0 when the problem is not tied to a line
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }
