package sched

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors; every error this package returns matches one of them with errors.Is.
var (
	// ErrQueueFull is matched when an item cannot be queued: the scheduler is at capacity and
	// holds nothing of a lower class to shed, or the response's own queue is full
	// (*QueueFullError). The item stays with the caller.
	ErrQueueFull = errors.New("sched: queue full")
	// ErrInvalid is matched by malformed arguments and configurations (*InvalidError).
	ErrInvalid = errors.New("sched: invalid argument")
	// ErrUnknownClass is matched when a priority class name is not critical, high, normal or
	// low (*ParseError).
	ErrUnknownClass = errors.New("sched: unknown priority class")
	// ErrUnknownPolicy is matched when a policy name is not one of fp, rm, edf, llf
	// (*ParseError).
	ErrUnknownPolicy = errors.New("sched: unknown policy")
	// ErrRejected is matched when admission control refuses a new response (*RejectedError).
	ErrRejected = errors.New("sched: response rejected by admission control")
	// ErrOutOfOrder is matched when an item's sequence number is not after the last one
	// released or shed for its response (*SeqError): releasing it would break per-response
	// order, so it is refused (typically a redelivery of a chunk already handled).
	ErrOutOfOrder = errors.New("sched: sequence number already released")
	// ErrDuplicate is matched when an item with the same sequence number is already queued
	// for its response (*SeqError).
	ErrDuplicate = errors.New("sched: sequence number already queued")
	// ErrCapacity is matched when a bounded table (tenants) is full (*CapacityError).
	ErrCapacity = errors.New("sched: table capacity exceeded")
)

// QueueFullError says which queue was full and how full.
type QueueFullError struct {
	Stream      string
	Class       Class
	Depth       int  // items queued (scheduler-wide, or in the response when PerResponse)
	Capacity    int  // the limit that was hit
	PerResponse bool // the response's own queue, not the scheduler, was full
}

func (e *QueueFullError) Error() string {
	where := "scheduler"
	if e.PerResponse {
		where = "response"
	}
	return fmt.Sprintf("sched: queue full: %s queue at %d/%d (stream %q, class %s)", where, e.Depth, e.Capacity, e.Stream, e.Class)
}

// Is makes every QueueFullError match ErrQueueFull.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

// InvalidError says which argument or configuration field is wrong and why.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return "sched: invalid " + e.Field + ": " + e.Reason }

// Is makes every InvalidError match ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// ParseError reports a class or policy name that is not known.
type ParseError struct {
	Kind  string // "class" or "policy"
	Value string
}

func (e *ParseError) Error() string {
	if e.Kind == "class" {
		return "sched: unknown priority class " + strconv.Quote(e.Value) + " (want critical, high, normal or low)"
	}
	return "sched: unknown policy " + strconv.Quote(e.Value) + " (want fp, rm, edf or llf)"
}

// Is matches ErrUnknownClass or ErrUnknownPolicy by kind, and ErrInvalid.
func (e *ParseError) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return true
	case ErrUnknownClass:
		return e.Kind == "class"
	case ErrUnknownPolicy:
		return e.Kind == "policy"
	}
	return false
}

// RejectedError carries the admission decision that refused a response.
type RejectedError struct {
	Stream    string
	Admission Admission
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("sched: response %q rejected: %s", e.Stream, e.Admission.Reason)
}

// Is makes every RejectedError match ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// SeqError reports an item whose sequence number conflicts with its response's queue.
type SeqError struct {
	Stream    string
	Seq       uint64
	Last      uint64 // last sequence number released or shed (out of order only)
	Duplicate bool   // the same sequence number is already queued
}

func (e *SeqError) Error() string {
	if e.Duplicate {
		return fmt.Sprintf("sched: stream %q seq %d already queued", e.Stream, e.Seq)
	}
	return fmt.Sprintf("sched: stream %q seq %d is not after %d, which was already released or shed", e.Stream, e.Seq, e.Last)
}

// Is matches ErrDuplicate or ErrOutOfOrder.
func (e *SeqError) Is(target error) bool {
	if e.Duplicate {
		return target == ErrDuplicate
	}
	return target == ErrOutOfOrder
}

// CapacityError says which table is full.
type CapacityError struct {
	What  string
	Limit int
}

func (e *CapacityError) Error() string {
	return "sched: " + e.What + " table full (" + strconv.Itoa(e.Limit) + " entries)"
}

// Is makes every CapacityError match ErrCapacity.
func (e *CapacityError) Is(target error) bool { return target == ErrCapacity }
