package metalearn

import (
	"context"
	"strconv"
	"testing"

	"github.com/midstream/midstream/pkg/learn"
)

// wrongWay is testTarget with the direction reversed: the policy lowers the threshold when the
// false-positive rate is too high, which makes it worse.
func wrongWay() TargetSpec {
	t := testTarget()
	t.Direction = -1
	return t
}

// TestShadowEvaluationRefusesADegradingChange sets a false-positive target that can only be met
// by giving up many true positives: violating responses are common (prevalence 0.8) and score
// U(0.4, 0.9), benign ones U(0.3, 0.7). At 0.5 the FP rate is about 0.1/(0.1+0.64) = 0.135 against
// a target of 0.01, so the policy raises the threshold; but each raise unflags about three
// violating responses per benign one, so the recorded, labelled responses say it is worse.
func TestShadowEvaluationRefusesADegradingChange(t *testing.T) {
	spec := testTarget()
	spec.FPRate = 0.01
	spec.Gain = 8 // steps of the full 0.2 limit, big enough to measure
	h := newHarness(t, withoutDefaultTarget(), WithTargets(spec))
	h.prevalence, h.violLo, h.violHi = 0.8, 0.4, 0.9
	h.allVerdicts = true
	h.runUntil(10, func() bool { return h.s.Status().Summary.Rejected > 0 })
	if th := h.threshold(); th != testDefault {
		t.Fatalf("threshold %g: a change that degrades in shadow evaluation was applied", th)
	}
	for _, p := range h.s.l.Proposals() {
		if p.Status == learn.StatusRejected && p.Mod.Key == "verifier/pii_threshold" {
			if p.Rule != "shadow" || p.Shadow == nil || !p.Shadow.Degrades || p.Mod.New.Num <= testDefault {
				t.Fatalf("rejected proposal %+v shadow %+v", p, p.Shadow)
			}
			return
		}
	}
	t.Fatal("no rejected threshold proposal")
}

func TestDegradingChangeIsRolledBack(t *testing.T) {
	// Shadow evaluation waits for 1000 labelled records, so the bad proposal stays pending until
	// an operator approves it (an approval overrides shadow evaluation).
	h := newHarness(t, withoutDefaultTarget(), WithTargets(wrongWay()), WithShadow(0, 1000), WithWatch(20, 0))
	h.runUntil(10, func() bool { return len(h.s.l.Pending()) > 0 })
	p := h.s.l.Pending()[0]
	if _, err := h.s.Approve(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	lowered := h.threshold()
	if lowered >= testDefault {
		t.Fatalf("approved threshold %g, want below %g", lowered, testDefault)
	}
	h.runUntil(10, func() bool { return h.s.Status().Summary.RolledBack > 0 })
	if th := h.threshold(); th != testDefault {
		t.Fatalf("threshold %g after the rollback, want %g back", th, testDefault)
	}
	var rb *learn.Proposal
	for _, q := range h.s.l.Proposals() {
		if q.Mod.Rollback {
			rb = &q
		}
	}
	if rb == nil || rb.Status != learn.StatusApplied || rb.Mod.New.Num != testDefault {
		t.Fatalf("rollback proposal %+v", rb)
	}
	t.Logf("rolled back: %s (reason %q)", strconv.FormatFloat(lowered, 'g', -1, 64), rb.Mod.Reason)
}
