package metalearn

import (
	"errors"
	"fmt"
)

var (
	// ErrBadRequest is matched when a micro request is malformed (*RequestError).
	ErrBadRequest = errors.New("metalearn: bad request")
	// ErrConfig is matched when a target specification or option is unusable (*ConfigError).
	ErrConfig = errors.New("metalearn: bad configuration")
	// ErrKey is matched when a configuration key cannot be mapped between the learner and KV.
	ErrKey = errors.New("metalearn: bad key")
	// ErrExternalChange is matched when ms_config no longer holds the value a proposal was
	// made against: someone else changed the key, so the proposal is refused.
	ErrExternalChange = errors.New("metalearn: key changed outside metalearn")
)

// RequestError says which part of a micro request is wrong.
type RequestError struct {
	Endpoint string
	Reason   string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("metalearn: %s: %s", e.Endpoint, e.Reason)
}

// Is makes every RequestError match ErrBadRequest.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

// ConfigError says which target or option is unusable and why.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("metalearn: config %s: %s", e.Field, e.Reason)
}

// Is makes every ConfigError match ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }
