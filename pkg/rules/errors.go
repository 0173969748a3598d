package rules

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrSyntax is matched when a rule-set document is not well-formed JSON or has unknown fields.
	ErrSyntax = errors.New("rules: syntax error")
	// ErrTooLarge is matched when a rule-set document or one of its parts exceeds a limit.
	ErrTooLarge = errors.New("rules: too large")
	// ErrInvalid is matched when a field has a value this package does not accept.
	ErrInvalid = errors.New("rules: invalid rule set")
	// ErrUnknownProp is matched when a name is not a proposition of the set.
	ErrUnknownProp = errors.New("rules: unknown proposition")
	// ErrOutOfOrder is matched when Stream.Next receives a chunk whose Seq is not the next one.
	ErrOutOfOrder = errors.New("rules: chunk out of order")
)

// ConfigError says which proposition of a rule set is wrong, in which field, and why. Err
// wraps one of the sentinels.
type ConfigError struct {
	Index int    // position in Config.Props, -1 for the document itself
	Name  string // the proposition's name, if known
	Field string // JSON field, e.g. "pattern"
	Err   error
}

func (e *ConfigError) Error() string {
	switch {
	case e.Index < 0 && e.Field == "":
		return e.Err.Error()
	case e.Index < 0:
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	case e.Name != "":
		return fmt.Sprintf("props[%d] (%q).%s: %v", e.Index, e.Name, e.Field, e.Err)
	}
	return fmt.Sprintf("props[%d].%s: %v", e.Index, e.Field, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// OrderError says which chunk arrived out of order.
type OrderError struct {
	Want, Got uint64
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("rules: chunk seq %d, want %d", e.Got, e.Want)
}

// Is makes an OrderError match ErrOutOfOrder.
func (e *OrderError) Is(target error) bool { return target == ErrOutOfOrder }
