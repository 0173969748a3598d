package learn

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzObserveFeedback feeds arbitrary observations and labels: the learner must never panic,
// every error must match one of the package's sentinels, and the label counts must stay
// consistent with the labels accepted.
func FuzzObserveFeedback(f *testing.F) {
	f.Add("s1", "t", "m", "verifier", "pii", 0.5, true, 3, "a b c d", "true_positive", "false_positive")
	f.Add("", "", "", "", "", math.NaN(), false, -1, "", "", "")
	f.Add("s", "t", "m", "a", "", math.Inf(1), true, 1<<20, "x", "false_negative", "true_negative")
	f.Add(strings.Repeat("s", 300), "t", "m", "a", "r", 1.0, true, 0, "", "true_positive", "true_positive")
	sentinels := []error{ErrInvalid, ErrTooLarge, ErrUnknownStream, ErrUnknownRule, ErrDuplicateLabel, ErrFlood, ErrCapacity}
	f.Fuzz(func(t *testing.T, stream, tenant, model, analyser, rule string, score float64, flagged bool, at int, text, l1, l2 string) {
		key := "verifier/pii/threshold"
		l, err := NewLearner(NewConfig(map[string]Value{key: Number(0.5)}), WithLimits(4, 8, 16),
			WithTargets(Target{Key: key, Analyser: analyser + "x", Rule: rule, FPRate: 0.1, Direction: 1, Gain: 1, Evidence: 1}),
			WithBounds(Bound{Key: key, Min: 0, Max: 1, MaxStep: 0.1}))
		if err != nil {
			t.Fatal(err)
		}
		o := &Observation{Stream: stream, Tenant: tenant, Model: model, Tokens: strings.Fields(text),
			Signals:  []Signal{{Name: "x", Value: score}},
			Verdicts: []Verdict{{Analyser: analyser, Rule: rule, Score: score, Flagged: flagged, At: at}}}
		check := func(err error) {
			if err == nil {
				return
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error matches no sentinel: %v", err)
		}
		check(l.Observe(o))
		accepted := map[Label]int{}
		var last Label
		for _, lb := range []string{l1, l2} {
			err := l.Feedback(&Feedback{Stream: stream, Analyser: analyser, Rule: rule, Label: Label(lb)})
			check(err)
			if err == nil {
				if last != "" {
					accepted[last]--
				}
				accepted[Label(lb)]++
				last = Label(lb)
			}
		}
		if b := l.Knowledge().Baseline(tenant, model); b != nil {
			if lc := b.Labels[RuleKey{analyser, rule}]; lc != nil {
				if int(lc.TP) != accepted[LabelTruePositive] || int(lc.FP) != accepted[LabelFalsePositive] ||
					int(lc.TN) != accepted[LabelTrueNegative] || int(lc.FN) != accepted[LabelFalseNegative] {
					t.Fatalf("counts %+v, accepted %v", *lc, accepted)
				}
			}
		}
		_ = l.Knowledge().Summaries()
	})
}
