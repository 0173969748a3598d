package frame

import (
	"errors"
	"fmt"
)

// Sentinel errors; every decoding error this package returns matches one of them with errors.Is.
var (
	// ErrFrameTooLarge is matched when a frame's declared payload length exceeds the cap.
	ErrFrameTooLarge = errors.New("frame: frame too large")
	// ErrUnknownType is matched when a frame's type byte is not one this build knows.
	ErrUnknownType = errors.New("frame: unknown frame type")
	// ErrTruncated is matched when the input ends inside a frame, or a payload ends inside a field.
	ErrTruncated = errors.New("frame: truncated")
	// ErrMalformed is matched when a payload's fields are not well formed (bad varint, field
	// too long, trailing bytes).
	ErrMalformed = errors.New("frame: malformed payload")
)

// DecodeError says which frame could not be decoded and why. It wraps one of the sentinels.
type DecodeError struct {
	Type   Type  // the frame's type byte, if it was read
	Size   int   // the declared payload length, if it was read
	Limit  int   // the cap, for ErrFrameTooLarge
	Err    error // one of the sentinels
	Reason string
	// Skipped reports that the Reader consumed the offending frame's payload, so the next
	// call to Next reads the following frame: the stream is still usable.
	Skipped bool
}

func (e *DecodeError) Error() string {
	switch {
	case errors.Is(e.Err, ErrFrameTooLarge):
		return fmt.Sprintf("%v: %s frame declares %d bytes, limit %d", e.Err, e.Type, e.Size, e.Limit)
	case e.Reason != "":
		return fmt.Sprintf("%v: %s frame: %s", e.Err, e.Type, e.Reason)
	}
	return fmt.Sprintf("%v: %s frame", e.Err, e.Type)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func malformed(t Type, reason string) error {
	return &DecodeError{Type: t, Err: ErrMalformed, Reason: reason}
}

func truncated(t Type, reason string) error {
	return &DecodeError{Type: t, Err: ErrTruncated, Reason: reason}
}
