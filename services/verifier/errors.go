package verifier

import (
	"errors"
	"fmt"
)

// Sentinel errors; every configuration error matches ErrConfig and, where it applies, one more
// specific sentinel (or an error of pkg/ltl or pkg/rules).
var (
	// ErrConfig is matched by every rejected configuration value.
	ErrConfig = errors.New("verifier: bad configuration")
	// ErrTooLarge is matched when a value exceeds a limit (rules per policy, formula size,
	// propositions, document bytes).
	ErrTooLarge = errors.New("verifier: configuration too large")
	// ErrUnknownKey is matched when an ms_config key under "verifier." is not one the verifier reads.
	ErrUnknownKey = errors.New("verifier: unknown configuration key")
	// ErrUnknownAtom is matched when a formula names a proposition the proposition set lacks.
	ErrUnknownAtom = errors.New("verifier: formula uses an unknown proposition")
)

// ConfigError names the key, and for policies the policy and rule, of a rejected value.
type ConfigError struct {
	Key    string // "policies" or "props"
	Policy string // policy name, when about one policy
	Rule   int    // index of the rule in the policy, -1 when not about one rule
	Field  string // JSON field, when known
	Err    error
}

func (e *ConfigError) Error() string {
	s := "verifier: " + e.Key
	if e.Policy != "" {
		s += fmt.Sprintf("[%q]", e.Policy)
	}
	if e.Rule >= 0 {
		s += fmt.Sprintf(".rules[%d]", e.Rule)
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
