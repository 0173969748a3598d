package sched

import (
	"strconv"
	"strings"
)

// Class is a priority class. Lower values are more important.
type Class uint8

// Priority classes, most important first.
const (
	Critical Class = iota
	High
	Normal
	Low
)

// NumClasses is the number of priority classes.
const NumClasses = 4

var classNames = [NumClasses]string{"critical", "high", "normal", "low"}

// String returns the class's lower-case name.
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c is one of the four classes.
func (c Class) Valid() bool { return c < NumClasses }

// ParseClass maps a class name (case-insensitive, surrounding space ignored) to its class. The
// empty name is Normal, the documented default. For an unknown name it returns Normal together
// with a *ParseError matching ErrUnknownClass, so a caller that wants to keep the work flowing at
// the default class may use the result and report the error.
func ParseClass(s string) (Class, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Normal, nil
	}
	for i, n := range classNames {
		if t == n {
			return Class(i), nil
		}
	}
	return Normal, &ParseError{Kind: "class", Value: s}
}

// MarshalText implements encoding.TextMarshaler.
func (c Class) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, &InvalidError{Field: "class", Reason: c.String() + " is not a class"}
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; unknown names are errors.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Policy is a scheduling policy: how the heads of the response queues are ordered.
type Policy uint8

// Policies.
const (
	// FixedPriority releases the most important class first, FIFO by arrival within a class.
	FixedPriority Policy = iota
	// RateMonotonic releases the response with the shortest period first; a response's period
	// is the EWMA of the gap between its chunks' arrivals.
	RateMonotonic
	// EDF releases the item with the earliest deadline first; items without a deadline come
	// after all items with one, FIFO.
	EDF
	// LLF releases the item with the least laxity (deadline − now − estimated cost) first.
	LLF
)

// NumPolicies is the number of policies.
const NumPolicies = 4

var policyNames = [NumPolicies]string{"fp", "rm", "edf", "llf"}

// String returns the policy's short name: fp, rm, edf or llf.
func (p Policy) String() string {
	if p < NumPolicies {
		return policyNames[p]
	}
	return "policy(" + strconv.Itoa(int(p)) + ")"
}

// ParsePolicy maps a policy name to its policy. It accepts the short names (fp, rm, edf, llf)
// and the long ones (fixed-priority, rate-monotonic, earliest-deadline-first,
// least-laxity-first), case-insensitive. Unknown names return a *ParseError matching
// ErrUnknownPolicy.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fp", "fixed", "fixed-priority", "priority":
		return FixedPriority, nil
	case "rm", "rate-monotonic", "ratemonotonic":
		return RateMonotonic, nil
	case "edf", "earliest-deadline-first", "deadline":
		return EDF, nil
	case "llf", "least-laxity-first", "laxity":
		return LLF, nil
	}
	return FixedPriority, &ParseError{Kind: "policy", Value: s}
}

// MarshalText implements encoding.TextMarshaler.
func (p Policy) MarshalText() ([]byte, error) {
	if p >= NumPolicies {
		return nil, &InvalidError{Field: "policy", Reason: p.String() + " is not a policy"}
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
