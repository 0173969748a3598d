package forecast

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrInvalid is matched when an argument is out of its documented range.
	ErrInvalid = errors.New("forecast: invalid argument")
	// ErrTooManyStates is matched when a trace would grow the model beyond its state limit.
	ErrTooManyStates = errors.New("forecast: too many states")
	// ErrNoData is matched when a model is fitted or evaluated without any trace.
	ErrNoData = errors.New("forecast: no data")
	// ErrNotConverged is matched when the absorption probabilities did not converge.
	ErrNotConverged = errors.New("forecast: solver did not converge")
)

// LimitError says which limit a trace hit.
type LimitError struct {
	What  string
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("forecast: %s exceeds the limit of %d", e.What, e.Limit)
}

// Is makes a LimitError match ErrTooManyStates.
func (e *LimitError) Is(target error) bool { return target == ErrTooManyStates }
