package learn

import (
	"math"
	"time"
)

// Label is a feedback judgement of one verdict; the values match pkg/wire's labels.
type Label string

// Feedback labels. Only true and false positives move the false-positive-rate policies; the
// negatives are counted in the baselines.
const (
	LabelTruePositive  Label = "true_positive"
	LabelFalsePositive Label = "false_positive"
	LabelTrueNegative  Label = "true_negative"
	LabelFalseNegative Label = "false_negative"
)

// Valid reports whether l is one of the four labels.
func (l Label) Valid() bool {
	switch l {
	case LabelTruePositive, LabelFalsePositive, LabelTrueNegative, LabelFalseNegative:
		return true
	}
	return false
}

// Signal is one named per-response feature: a mean entropy, a token count, a time to first
// token, an analyser's exponent.
type Signal struct {
	Name  string
	Value float64
}

// Verdict is an analyser's finding on a response, reduced to what learning needs.
type Verdict struct {
	Analyser string  // compare, attractor, verifier, scheduler
	Rule     string  // rule, reference or policy id; may be empty
	Score    float64 // the analyser's score, compared against its threshold
	Flagged  bool    // whether the analyser acted (flagged or stopped the response)
	At       int     // token index at which the verdict was reached; -1 if unknown
}

// Observation is level 0: everything learned about one finished (or cut) response.
type Observation struct {
	Stream   string
	Tenant   string
	Model    string
	Time     time.Time
	Signals  []Signal
	Verdicts []Verdict
	// Tokens is the response's token text (or its tail); it feeds pattern mining. The slice and
	// its strings are not retained.
	Tokens []string
}

// Feedback is a label for one verdict of an observed stream. Tenant and model come from the
// stream's observation.
type Feedback struct {
	Stream   string
	Analyser string
	Rule     string
	Label    Label
	Time     time.Time
}

// Input limits; larger inputs are rejected with a *LimitError.
const (
	MaxSignals  = 256
	MaxVerdicts = 64
	MaxTokens   = 1 << 16
	MaxNameLen  = 256
)

// violationAt returns the token index of the first flagged verdict, len(Tokens) if a flagged
// verdict has no position, and -1 if nothing was flagged.
func (o *Observation) violationAt() int {
	at := -1
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if !v.Flagged {
			continue
		}
		p := v.At
		if p < 0 || p > len(o.Tokens) {
			p = len(o.Tokens)
		}
		if at < 0 || p < at {
			at = p
		}
	}
	return at
}

func checkName(field, s string, required bool) error {
	if s == "" {
		if required {
			return &InputError{Field: field, Reason: "empty"}
		}
		return nil
	}
	if len(s) > MaxNameLen {
		return &LimitError{What: field, Size: len(s), Limit: MaxNameLen}
	}
	return nil
}

// Validate checks the observation against the input limits.
func (o *Observation) Validate() error {
	if err := checkName("stream", o.Stream, true); err != nil {
		return err
	}
	if err := checkName("tenant", o.Tenant, false); err != nil {
		return err
	}
	if err := checkName("model", o.Model, false); err != nil {
		return err
	}
	if len(o.Signals) > MaxSignals {
		return &LimitError{What: "signals", Size: len(o.Signals), Limit: MaxSignals}
	}
	if len(o.Verdicts) > MaxVerdicts {
		return &LimitError{What: "verdicts", Size: len(o.Verdicts), Limit: MaxVerdicts}
	}
	if len(o.Tokens) > MaxTokens {
		return &LimitError{What: "tokens", Size: len(o.Tokens), Limit: MaxTokens}
	}
	for i := range o.Signals {
		if err := checkName("signal name", o.Signals[i].Name, true); err != nil {
			return err
		}
		if v := o.Signals[i].Value; math.IsNaN(v) || math.IsInf(v, 0) {
			return &InputError{Field: "signal " + o.Signals[i].Name, Reason: "not finite"}
		}
	}
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		if err := checkName("analyser", v.Analyser, true); err != nil {
			return err
		}
		if err := checkName("rule", v.Rule, false); err != nil {
			return err
		}
		if math.IsNaN(v.Score) || math.IsInf(v.Score, 0) {
			return &InputError{Field: "verdict score", Reason: "not finite"}
		}
	}
	return nil
}

// Validate checks the feedback's fields.
func (f *Feedback) Validate() error {
	if err := checkName("stream", f.Stream, true); err != nil {
		return err
	}
	if err := checkName("analyser", f.Analyser, true); err != nil {
		return err
	}
	if err := checkName("rule", f.Rule, false); err != nil {
		return err
	}
	if !f.Label.Valid() {
		return &InputError{Field: "label", Reason: "unknown label " + string(f.Label)}
	}
	return nil
}
