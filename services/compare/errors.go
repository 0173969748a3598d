package compare

import (
	"errors"
	"fmt"
)

// Sentinel errors; every configuration error matches ErrConfig and one more specific sentinel.
var (
	// ErrConfig is matched by every rejected configuration value.
	ErrConfig = errors.New("compare: bad configuration")
	// ErrTooLarge is matched when a value exceeds a size limit (references, tokens, bytes).
	ErrTooLarge = errors.New("compare: configuration too large")
	// ErrUnknownKey is matched when an ms_config key under "compare." is not one compare reads.
	ErrUnknownKey = errors.New("compare: unknown configuration key")
)

// ConfigError names the key and, for the reference library, the entry that was rejected.
type ConfigError struct {
	Key   string // "references", "repetition", "conversation"
	Index int    // entry of the reference list, -1 when not about one entry
	Field string // JSON field, when known
	Err   error  // matches ErrTooLarge, ErrUnknownKey or a JSON error
}

func (e *ConfigError) Error() string {
	s := "compare: " + e.Key
	if e.Index >= 0 {
		s += fmt.Sprintf("[%d]", e.Index)
	}
	if e.Field != "" {
		s += "." + e.Field
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes every ConfigError match ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func cfgErr(key string, index int, field string, format string, args ...any) error {
	return &ConfigError{Key: key, Index: index, Field: field, Err: fmt.Errorf(format, args...)}
}
