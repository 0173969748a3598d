package learn

import (
	"fmt"
	"math"
)

// Target is a level-2 goal: keep the false-positive rate of one analyser rule, measured from
// feedback as FP/(TP+FP) among flagged responses, near FPRate by moving the threshold at Key.
//
// The policy is a batched Robbins–Monro iteration (Robbins & Monro, Ann. Math. Stat. 22 (1951)
// 400): after each batch of labels it moves the threshold by
//
//	Δ = Direction · gain · (p̂ - FPRate)
//
// where p̂ is the batch's false-positive rate, and only when the batch has at least the required
// evidence (labels) and its Wilson 95% interval excludes FPRate, so noise alone does not move it.
// gain and evidence start at Gain and Evidence and are adapted by level 3.
type Target struct {
	Key      string // configuration key of the threshold
	Analyser string
	Rule     string
	Tenant   string // optional: only this tenant's feedback ("" = all)
	Model    string // optional: only this model's feedback ("" = all)
	FPRate   float64
	// Direction is +1 when raising the threshold lowers the false-positive rate (the rule flags
	// when score >= threshold), -1 when lowering it does.
	Direction float64
	Gain      float64 // initial step size, threshold units per unit of rate error
	Evidence  int     // initial labels required per batch
}

func (t *Target) validate() error {
	switch {
	case t.Key == "" || t.Analyser == "":
		return &InputError{Field: "Target", Reason: "Key and Analyser are required"}
	case !(t.FPRate > 0 && t.FPRate < 1):
		return &InputError{Field: "Target.FPRate", Reason: "must be in (0, 1)"}
	case t.Direction != 1 && t.Direction != -1:
		return &InputError{Field: "Target.Direction", Reason: "must be +1 or -1"}
	case !(t.Gain > 0) || math.IsInf(t.Gain, 0):
		return &InputError{Field: "Target.Gain", Reason: "must be positive"}
	case t.Evidence < 1:
		return &InputError{Field: "Target.Evidence", Reason: "must be >= 1"}
	}
	return nil
}

func (t *Target) matches(tm TenantModel, rk RuleKey) bool {
	return rk.Analyser == t.Analyser && rk.Rule == t.Rule &&
		(t.Tenant == "" || t.Tenant == tm.Tenant) && (t.Model == "" || t.Model == tm.Model)
}

// Meta configuration keys: level 3 writes a policy's gain and evidence into the configuration,
// so that replaying the audit trail reproduces the learning state as well as the thresholds.
// Level L ≥ 4 writes level L-1's adaptation rate.

// GainKey is the configuration key of the step size level 2 uses for key.
func GainKey(key string) string { return "meta/" + key + "/gain" }

// EvidenceKey is the configuration key of the labels level 2 requires for key.
func EvidenceKey(key string) string { return "meta/" + key + "/evidence" }

// RateKey is the configuration key of level's adaptation rate for key (level 3..4; the top
// level's rate is MetaConfig.Rate).
func RateKey(key string, level int) string { return fmt.Sprintf("meta/%s/rate%d", key, level) }

// thresholdPolicy is the running state of one Target.
type thresholdPolicy struct {
	t        Target
	epoch    Rate   // labels of the current batch
	batch    uint64 // batch number, so a corrected label is taken back only from its own batch
	startRev uint64 // labels for streams observed before this revision belong to an older threshold
	pending  uint64 // id of a pending proposal for the key, 0 if none
	// await is set after a change: the next full batch evaluates it against before.
	await     bool
	awaitOwn  bool // the change under evaluation was this policy's
	awaitRev  uint64
	awaitStep float64
	before    Rate
	// clamped records whether the pending proposal's step was cut by a bound; awaitClamped
	// whether the change under evaluation was.
	clamped, awaitClamped bool
}

// PatternPolicy says how mined patterns become proposals: each one is a key
// Prefix/<tenant>/<model>/<16 hex digits of the pattern hash> whose value is the pattern's tokens
// as a JSON array, checked every Every observations of a baseline, at most MaxPerRun per check.
// Remember bounds the set of patterns already proposed (so a rejected one is not proposed again).
type PatternPolicy struct {
	Prefix    string
	Every     int
	MaxPerRun int
	Remember  int
}

// Evaluation is the judgement of an applied change once evidence after it is in.
type Evaluation struct {
	Revision uint64 // the change evaluated
	Key      string
	Before   float64 // the metric before (rate error or mean utility)
	After    float64 // the metric after
	Lo, Hi   float64 // interval of the after metric or of the difference
	N        uint64
	Improved bool
	Degraded bool
	Detail   string
}

// resetBatch starts a new batch of labels.
func (p *thresholdPolicy) resetBatch() {
	p.epoch = Rate{}
	p.batch++
}
