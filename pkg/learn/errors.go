package learn

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrInvalid is matched by malformed input (*InputError): empty names, NaN values,
	// unknown labels.
	ErrInvalid = errors.New("learn: invalid input")
	// ErrTooLarge is matched when an input exceeds a size limit (*LimitError).
	ErrTooLarge = errors.New("learn: input too large")
	// ErrUnknownStream is matched by feedback for a stream the learner has not observed (or has
	// forgotten: it remembers a bounded number of recent streams).
	ErrUnknownStream = errors.New("learn: unknown stream")
	// ErrUnknownRule is matched by feedback for an analyser/rule pair the stream's verdicts do not
	// contain.
	ErrUnknownRule = errors.New("learn: unknown analyser or rule")
	// ErrDuplicateLabel is matched when the same label arrives twice for one stream, analyser
	// and rule; the repeat is ignored.
	ErrDuplicateLabel = errors.New("learn: duplicate label")
	// ErrFlood is matched when a tenant's feedback exceeds its rate; the excess is not counted,
	// which bounds any single tenant's influence on the policies.
	ErrFlood = errors.New("learn: feedback rate exceeded")
	// ErrCapacity is matched when a bounded table (tenants, series) is full.
	ErrCapacity = errors.New("learn: capacity exceeded")
	// ErrUnsafe is matched when a modification fails a safety constraint (*ConstraintError).
	ErrUnsafe = errors.New("learn: modification violates a safety constraint")
	// ErrNotFound is matched when a proposal id or revision does not exist.
	ErrNotFound = errors.New("learn: not found")
	// ErrState is matched when an operation does not fit a proposal's state (applying a
	// rejected proposal, rolling back a revision twice).
	ErrState = errors.New("learn: wrong state")
	// ErrStale is matched when a modification's old value no longer matches the configuration
	// (another change was applied since it was proposed), or when replay finds a mismatch.
	ErrStale = errors.New("learn: stale modification")
	// ErrNumeric is matched when an estimate cannot be computed (too few samples, zero
	// variance where a test needs some).
	ErrNumeric = errors.New("learn: numerical trouble")
	// ErrFormula is matched when a safety rule's formula does not parse or uses atoms this
	// package does not provide.
	ErrFormula = errors.New("learn: bad rule formula")
)

// InputError says which field of an input is wrong and why.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("learn: invalid %s: %s", e.Field, e.Reason) }

// Is makes every InputError match ErrInvalid.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// LimitError says an input was larger than its limit.
type LimitError struct {
	What  string
	Size  int
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("learn: %s has %d entries, limit %d", e.What, e.Size, e.Limit)
}

// Is makes every LimitError match ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// ConstraintError says which safety constraint a modification broke. Rule is the bound's or
// rule's name ("bounds:<key>", "step:<key>" or a Rule's Name), so an operator can find it.
type ConstraintError struct {
	Rule   string
	Key    string
	Reason string
}

func (e *ConstraintError) Error() string {
	return fmt.Sprintf("learn: %s rejected by %s: %s", e.Key, e.Rule, e.Reason)
}

// Is makes every ConstraintError match ErrUnsafe.
func (e *ConstraintError) Is(target error) bool { return target == ErrUnsafe }
