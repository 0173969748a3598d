package scheduler

import (
	"errors"
	"fmt"
)

var (
	// ErrConfig is matched by a configuration value that cannot be applied (*ConfigError);
	// the configuration in force stays.
	ErrConfig = errors.New("scheduler: invalid configuration")
	// ErrChunk is matched when a CHUNKS message lacks what scheduling needs (a JSON object
	// with a valid stream id and sequence number); such messages are dead-lettered.
	ErrChunk = errors.New("scheduler: unschedulable chunk")
	// ErrBadRequest is matched by malformed requests to the micro endpoints.
	ErrBadRequest = errors.New("scheduler: bad request")
)

// ConfigError names the configuration key or flag that was rejected and why.
type ConfigError struct {
	Key string
	Err error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("scheduler: config %s: %v", e.Key, e.Err) }

// Unwrap returns the underlying error (often a sched.InvalidError).
func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes every ConfigError match ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// ChunkError says why a CHUNKS message could not be scheduled.
type ChunkError struct {
	Subject string
	Reason  string
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("scheduler: chunk on %s: %s", e.Subject, e.Reason)
}

// Is makes every ChunkError match ErrChunk.
func (e *ChunkError) Is(target error) bool { return target == ErrChunk }
