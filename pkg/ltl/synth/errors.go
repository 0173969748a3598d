package synth

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrInvalid is matched when an argument is out of its documented range.
	ErrInvalid = errors.New("synth: invalid argument")
	// ErrTooLarge is matched when the game exceeds the atom, state or table limits.
	ErrTooLarge = errors.New("synth: game too large")
)

// LimitError says which limit the game exceeded.
type LimitError struct {
	What  string
	Value int
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("synth: %s is %d, limit %d", e.What, e.Value, e.Limit)
}

// Is makes a LimitError match ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }
