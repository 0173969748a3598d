package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrInvalid is matched by every validation failure (*ValidationError).
	ErrInvalid = errors.New("wire: invalid message")
	// ErrTooLarge is matched when a message exceeds its size cap.
	ErrTooLarge = errors.New("wire: message too large")
	// ErrSchemaVersion is matched when a message declares a schema this build does not speak.
	ErrSchemaVersion = errors.New("wire: unsupported schema version")
	// ErrSubject is matched when a subject is not a well-formed midstream subject.
	ErrSubject = errors.New("wire: bad subject")
)

// ValidationError says which field of a message is wrong and why.
type ValidationError struct {
	Stream string // the stream id, if known
	Seq    uint64 // the chunk seq, if known
	Field  string // JSON path of the offending field, e.g. "tokens[3].logprob"
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Stream != "" {
		return fmt.Sprintf("wire: invalid %s (stream %s seq %d): %s", e.Field, e.Stream, e.Seq, e.Reason)
	}
	return fmt.Sprintf("wire: invalid %s: %s", e.Field, e.Reason)
}

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// SizeError says a message was larger than its cap.
type SizeError struct {
	What  string
	Size  int
	Limit int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("wire: %s is %d bytes, limit %d", e.What, e.Size, e.Limit)
}

// Is makes every SizeError match ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// SchemaError names a schema version that is not supported.
type SchemaError struct {
	Got  string
	Want string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("wire: schema %q is not supported (this build speaks %s)", e.Got, e.Want)
}

// Is makes every SchemaError match ErrSchemaVersion.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaVersion }

// SubjectError says why a subject was not accepted.
type SubjectError struct {
	Subject string
	Reason  string
}

func (e *SubjectError) Error() string {
	return fmt.Sprintf("wire: subject %q: %s", e.Subject, e.Reason)
}

// Is makes every SubjectError match ErrSubject.
func (e *SubjectError) Is(target error) bool { return target == ErrSubject }
