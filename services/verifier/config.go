package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/midstream/midstream/pkg/ltl"
	"github.com/midstream/midstream/pkg/rules"
)

// Configuration keys (ms_config "verifier.<key>").
const (
	KeyPolicies = "policies" // PoliciesSpec JSON
	KeyProps    = "props"    // a pkg/rules rule-set document
)

// DefaultPolicy is the policy of responses whose metadata names none (or an unknown one),
// unless PoliciesSpec.Default says otherwise.
const DefaultPolicy = "default"

// Rule actions.
const (
	ActionStop = "stop" // ask the gateway to cut the response
	ActionFlag = "flag" // ask the gateway to flag it
	ActionNone = ""     // verdicts only
)

// Limits bound what one configuration may ask for; zero fields take the defaults.
type Limits struct {
	MaxPolicies    int // policies in one document (default 64)
	MaxRules       int // rules per policy (default 1000)
	MaxFormulaSize int // operator and atom nodes of one formula (default 256)
	MaxFormulaLen  int // bytes of one formula's text (default 4096)
	MaxProps       int // propositions of the props set (default rules.MaxProps, 256)
	MaxBytes       int // bytes of one configuration value (default 4 MiB)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxPolicies, 64)
	def(&l.MaxRules, 1000)
	def(&l.MaxFormulaSize, 256)
	def(&l.MaxFormulaLen, 4096)
	def(&l.MaxProps, rules.MaxProps)
	def(&l.MaxBytes, 4<<20)
	return l
}

// RuleSpec is one rule of a policy.
type RuleSpec struct {
	// ID names the rule in verdicts and actions; unique within its policy, [A-Za-z0-9_.:-]{1,64}.
	ID string `json:"id"`
	// Formula is an LTL formula (docs/ltl.md) over the proposition set's names.
	Formula string `json:"formula"`
	// Action is what a certain violation asks of the gateway: "stop", "flag" or "" (none).
	Action      string `json:"action,omitempty"`
	Description string `json:"description,omitempty"`
}

// PolicySpec is a named set of rules.
type PolicySpec struct {
	Rules []RuleSpec `json:"rules"`
}

// PoliciesSpec is the document stored under verifier.policies.
type PoliciesSpec struct {
	Policies map[string]PolicySpec `json:"policies"`
	// Default is the policy for responses that name none or an unknown one (DefaultPolicy when
	// empty). It must exist unless Policies is empty.
	Default string `json:"default,omitempty"`
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// ParsePolicies decodes and checks a verifier.policies document (formulas are parsed, but
// proposition names are checked only against a proposition set, by the Analyser). Unknown
// fields and trailing data are refused.
func ParsePolicies(data []byte, lim Limits) (PoliciesSpec, error) {
	lim = lim.withDefaults()
	var ps PoliciesSpec
	if len(data) > lim.MaxBytes {
		return ps, &ConfigError{Key: KeyPolicies, Rule: -1, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return ps, &ConfigError{Key: KeyPolicies, Rule: -1, Err: err}
	}
	if dec.More() {
		return ps, &ConfigError{Key: KeyPolicies, Rule: -1, Err: fmt.Errorf("trailing data after the document")}
	}
	if len(ps.Policies) > lim.MaxPolicies {
		return ps, &ConfigError{Key: KeyPolicies, Rule: -1, Err: fmt.Errorf("%w: %d policies, limit %d", ErrTooLarge, len(ps.Policies), lim.MaxPolicies)}
	}
	if ps.Default == "" {
		ps.Default = DefaultPolicy
	}
	if _, ok := ps.Policies[ps.Default]; !ok && len(ps.Policies) > 0 {
		return ps, &ConfigError{Key: KeyPolicies, Rule: -1, Field: "default", Err: fmt.Errorf("default policy %q is not defined", ps.Default)}
	}
	for name, p := range ps.Policies {
		if !idRE.MatchString(name) {
			return ps, &ConfigError{Key: KeyPolicies, Policy: name, Rule: -1, Err: fmt.Errorf("policy name must match %s", idRE)}
		}
		if len(p.Rules) > lim.MaxRules {
			return ps, &ConfigError{Key: KeyPolicies, Policy: name, Rule: -1, Field: "rules",
				Err: fmt.Errorf("%w: %d rules, limit %d", ErrTooLarge, len(p.Rules), lim.MaxRules)}
		}
		seen := make(map[string]bool, len(p.Rules))
		for i, r := range p.Rules {
			bad := func(field string, err error) error {
				return &ConfigError{Key: KeyPolicies, Policy: name, Rule: i, Field: field, Err: err}
			}
			if !idRE.MatchString(r.ID) {
				return ps, bad("id", fmt.Errorf("id %q must match %s", r.ID, idRE))
			}
			if seen[r.ID] {
				return ps, bad("id", fmt.Errorf("duplicate rule id %q", r.ID))
			}
			seen[r.ID] = true
			switch r.Action {
			case ActionStop, ActionFlag, ActionNone:
			default:
				return ps, bad("action", fmt.Errorf("action %q is not one of \"stop\", \"flag\", \"\"", r.Action))
			}
			if len(r.Formula) > lim.MaxFormulaLen {
				return ps, bad("formula", fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(r.Formula), lim.MaxFormulaLen))
			}
			f, err := ltl.Parse(r.Formula)
			if err != nil {
				return ps, bad("formula", err)
			}
			if n := f.Size(); n > lim.MaxFormulaSize {
				return ps, bad("formula", fmt.Errorf("%w: %d nodes, limit %d", ErrTooLarge, n, lim.MaxFormulaSize))
			}
		}
	}
	return ps, nil
}

// ParseProps decodes and compiles a verifier.props document (a pkg/rules rule set).
func ParseProps(data []byte, lim Limits) (*rules.Set, error) {
	lim = lim.withDefaults()
	set, err := rules.Parse(data)
	if err != nil {
		return nil, &ConfigError{Key: KeyProps, Rule: -1, Err: err}
	}
	if set.Len() > lim.MaxProps {
		return nil, &ConfigError{Key: KeyProps, Rule: -1, Err: fmt.Errorf("%w: %d propositions, limit %d", ErrTooLarge, set.Len(), lim.MaxProps)}
	}
	return set, nil
}

// rule is one compiled rule of a policy in force.
type rule struct {
	id, action, desc string
	formula          string // normalised
	c                *ltl.Compiled
	idx              []int // proposition index of each of c's atoms
	init             ltl.Verdict
	fc               *learner
}

type policy struct {
	name  string
	rules []*rule
}

// config is one immutable configuration; a session keeps the one in force when it started.
type config struct {
	version  uint64
	set      *rules.Set
	policies map[string]*policy
	def      *policy // nil when there are no policies
	spec     PoliciesSpec
	props    []byte
}

// build compiles spec against set. models maps a normalised formula to the compiled formula and
// learner of the configuration in force, reused so that forecasts (keyed by monitor state ids
// of one Compiled) survive updates that keep a rule's formula.
func build(spec PoliciesSpec, set *rules.Set, models map[string]*learner, newLearner func(*ltl.Compiled) *learner) (*config, error) {
	cfg := &config{set: set, policies: make(map[string]*policy, len(spec.Policies)), spec: spec}
	names := make([]string, 0, len(spec.Policies))
	for n := range spec.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ps := spec.Policies[name]
		p := &policy{name: name, rules: make([]*rule, 0, len(ps.Rules))}
		for i, rs := range ps.Rules {
			bad := func(err error) error {
				return &ConfigError{Key: KeyPolicies, Policy: name, Rule: i, Field: "formula", Err: err}
			}
			f, err := ltl.Parse(rs.Formula)
			if err != nil {
				return nil, bad(err)
			}
			norm := f.String()
			fc := models[norm]
			if fc == nil {
				c, err := ltl.Compile(f)
				if err != nil {
					return nil, bad(err)
				}
				fc = newLearner(c)
				models[norm] = fc
			}
			idx, err := set.Lookup(fc.c.Atoms())
			if err != nil {
				return nil, bad(fmt.Errorf("%w: %w", ErrUnknownAtom, err))
			}
			p.rules = append(p.rules, &rule{id: rs.ID, action: rs.Action, desc: rs.Description, formula: norm,
				c: fc.c, idx: idx, init: fc.c.Decided(fc.c.Initial()), fc: fc})
		}
		cfg.policies[name] = p
	}
	cfg.def = cfg.policies[spec.Default]
	return cfg, nil
}

// policyFor returns the policy a response naming name runs under.
func (c *config) policyFor(name string) *policy {
	if p, ok := c.policies[name]; ok {
		return p
	}
	return c.def
}
