package attractor

import (
	"errors"
	"fmt"
)

// ErrConfig reports a configuration value that was rejected; the previous one stays in force.
var ErrConfig = errors.New("attractor: invalid configuration")

// ConfigError names the offending field of a rejected configuration.
type ConfigError struct {
	Key   string // ms_config key, e.g. "attractor.config"
	Field string // JSON field, empty when the document itself is malformed
	Why   string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("attractor: %s: %s", e.Key, e.Why)
	}
	return fmt.Sprintf("attractor: %s: %s: %s", e.Key, e.Field, e.Why)
}

// Unwrap makes a ConfigError match ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }
