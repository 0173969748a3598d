package learn

import "time"

// Rule is a safety rule: a temporal-logic formula that the history of one key's events (its
// applied changes and evaluations, oldest first) followed by the proposed change must satisfy.
type Rule struct {
	Name    string
	Keys    string // the keys it applies to, as in Bound.Key; "" for all
	Formula string
	Floor   float64       // for the atom below_floor
	Ceiling float64       // for the atom above_ceiling
	Window  time.Duration // for the atom too_many
	Max     int           // for the atom too_many
}

type compiledRule struct {
	rule Rule
}

func compileRule(r Rule) (*compiledRule, error) {
	return nil, &InputError{Field: "Rule", Reason: "pending pkg/ltl"}
}

func (r *compiledRule) check(key string, h *history, prop *Event) error { return nil }
