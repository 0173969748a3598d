package learn

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// Kind is the type of a configuration Value.
type Kind uint8

// Value kinds. An absent value is how a key's creation and removal are expressed: adding a
// pattern to compare's library is a change from Absent to Text.
const (
	KindAbsent Kind = iota
	KindNumber
	KindText
)

// Value is one configuration value: a number (thresholds, gains), a text (a pattern as a JSON
// array of tokens) or absent.
type Value struct {
	Kind Kind
	Num  float64
	Text string
}

// Number returns a numeric value.
func Number(x float64) Value { return Value{Kind: KindNumber, Num: x} }

// Text returns a text value.
func Text(s string) Value { return Value{Kind: KindText, Text: s} }

// Absent returns the absent value.
func Absent() Value { return Value{} }

// Equal reports whether two values are identical (numbers compared exactly).
func (v Value) Equal(o Value) bool {
	if v.Kind != o.Kind {
		return false
	}
	switch v.Kind {
	case KindNumber:
		return v.Num == o.Num
	case KindText:
		return v.Text == o.Text
	}
	return true
}

func (v Value) String() string {
	switch v.Kind {
	case KindNumber:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case KindText:
		return strconv.Quote(v.Text)
	}
	return "absent"
}

// Config is an immutable configuration snapshot: the values of all keys at one revision.
// Revision 0 is the initial configuration; each applied change adds one.
type Config struct {
	rev  uint64
	vals map[string]Value
}

// NewConfig returns a revision-0 configuration holding vals (copied). Absent values are dropped.
func NewConfig(vals map[string]Value) Config {
	c := Config{vals: make(map[string]Value, len(vals))}
	for k, v := range vals {
		if v.Kind != KindAbsent {
			c.vals[k] = v
		}
	}
	return c
}

// Revision returns the configuration's revision.
func (c Config) Revision() uint64 { return c.rev }

// Get returns a key's value (Absent if unset).
func (c Config) Get(key string) Value { return c.vals[key] }

// Number returns a key's numeric value, or def if it is not a number.
func (c Config) Number(key string, def float64) float64 {
	if v, ok := c.vals[key]; ok && v.Kind == KindNumber {
		return v.Num
	}
	return def
}

// Keys returns the set keys in sorted order.
func (c Config) Keys() []string { return slices.Sorted(maps.Keys(c.vals)) }

// Len returns the number of set keys.
func (c Config) Len() int { return len(c.vals) }

// Equal reports whether two configurations hold the same values at the same revision.
func (c Config) Equal(o Config) bool {
	return c.rev == o.rev && maps.EqualFunc(c.vals, o.vals, Value.Equal)
}

// with returns the next revision with key set to v.
func (c Config) with(key string, v Value) Config {
	n := Config{rev: c.rev + 1, vals: maps.Clone(c.vals)}
	if n.vals == nil {
		n.vals = make(map[string]Value)
	}
	if v.Kind == KindAbsent {
		delete(n.vals, key)
	} else {
		n.vals[key] = v
	}
	return n
}

// With returns a copy of c with key set to v, at the next revision. It is for evaluators that
// build a candidate configuration; the learner applies changes itself.
func (c Config) With(key string, v Value) Config { return c.with(key, v) }

// Evidence is what a proposal rests on: the sample, the estimate and its interval, and the
// target it is compared with. Fields that do not apply are zero.
type Evidence struct {
	N        uint64  // labels, responses or windows behind the estimate
	Estimate float64 // the measured rate or statistic
	Lo, Hi   float64 // its 95% interval
	Target   float64 // the stated target, if any
	Detail   string  // what was measured, in words
}

// Modification is a proposed configuration change.
type Modification struct {
	Level int // 2 policy, 3+ meta-policy, 0 operator
	Key   string
	Old   Value // the value the proposer saw; applying fails if the config moved on
	New   Value
	// Reason says why, in words ("false-positive rate 0.31 above target 0.10").
	Reason   string
	Evidence Evidence
	// Expected is the expected effect in words ("false-positive rate toward 0.10").
	Expected string
	// Rollback marks a change that undoes the change that produced revision RollbackOf.
	Rollback   bool
	RollbackOf uint64
}

// Step returns New-Old for numeric changes, NaN otherwise.
func (m *Modification) Step() float64 {
	if m.Old.Kind == KindNumber && m.New.Kind == KindNumber {
		return m.New.Num - m.Old.Num
	}
	return math.NaN()
}

func (m *Modification) String() string {
	rb := ""
	if m.Rollback {
		rb = fmt.Sprintf(" (rollback of rev %d)", m.RollbackOf)
	}
	return fmt.Sprintf("L%d %s: %v -> %v%s", m.Level, m.Key, m.Old, m.New, rb)
}

// Status is a proposal's state.
type Status uint8

// Proposal states. A proposal starts Pending (or Rejected if it fails a safety check at once),
// and ends Applied or Rejected; an applied one may later be RolledBack.
const (
	StatusPending Status = iota
	StatusRejected
	StatusApplied
	StatusRolledBack
)

func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusRejected:
		return "rejected"
	case StatusApplied:
		return "applied"
	case StatusRolledBack:
		return "rolled_back"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Proposal is a Modification with its life cycle.
type Proposal struct {
	ID       uint64
	Mod      Modification
	Created  time.Time
	Status   Status
	Rule     string        // the constraint that rejected it, if any
	Reason   string        // why it was rejected, if it was
	Shadow   *ShadowResult // the shadow evaluation, if one was run
	Revision uint64        // the configuration revision it produced, once applied

	err     error  // the rejection error, returned by Propose and Rollback
	base    string // the level-2 key a meta parameter belongs to
	watched int    // the level whose parameter Mod.Key is (2 for a threshold), 0 if none
}

func sortProposals(ps []Proposal) {
	slices.SortFunc(ps, func(a, b Proposal) int { return cmp.Compare(a.ID, b.ID) })
}
