package metalearn

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/learn"
	"github.com/midstream/midstream/pkg/wire"
)

func TestFeedbackAndVerdictsReachTheLearner(t *testing.T) {
	h := newHarness(t)
	a, _ := h.response("t1", 0.9, 0.5)
	b, _ := h.response("t1", 0.6, 0.5)
	c, flagged := h.response("t1", 0.2, 0.5) // not flagged: no verdict
	if flagged {
		t.Fatal("0.2 flagged at 0.5")
	}
	h.caughtUp()
	h.label(a, "verifier", "pii", wire.LabelTruePositive)
	h.label(b, "verifier", "pii", wire.LabelFalsePositive)
	h.label(c, "verifier", "pii", wire.LabelFalsePositive) // c has no verifier verdict
	h.caughtUp()
	// c's label waits for a verifier verdict (it might still be on its way) for deferFor, then
	// is refused.
	bustest.Eventually(t, 3*deferFor, func() bool { return h.s.Status().Counters.UnknownRule == 1 }, "label of c not refused")
	st := h.s.Status()
	if st.Counters.LabelsAccepted != 2 || st.Counters.UnknownRule != 1 || st.Counters.Deferred != 1 {
		t.Fatalf("labels accepted %d, unknown rule %d; want 2, 1", st.Counters.LabelsAccepted, st.Counters.UnknownRule)
	}
	if st.Summary.Baselines != 1 || len(st.Level1) != 1 || st.Level1[0].Tenant != "t1" || st.Level1[0].Model != "m1" {
		t.Fatalf("baselines: %+v", st.Level1)
	}
	var fp *learn.RateSummary
	for i := range st.Level1[0].FPRates {
		if r := &st.Level1[0].FPRates[i]; r.Analyser == "verifier" && r.Rule == "pii" {
			fp = r
		}
	}
	if fp == nil || fp.Hits != 1 || fp.Trials != 2 {
		t.Fatalf("FP rate of verifier/pii: %+v, want 1/2", fp)
	}
	if st.Level1[0].Responses != 3 {
		t.Fatalf("responses %d, want 3", st.Level1[0].Responses)
	}
}

// runUntil runs labelled batches until cond holds, at most max batches.
func (h *harness) runUntil(max int, cond func() bool) int {
	h.t.Helper()
	for i := 1; i <= max; i++ {
		h.batch(60)
		if cond() {
			return i
		}
	}
	h.t.Fatalf("condition not reached after %d batches; status %+v", max, h.s.Status().Summary)
	return 0
}

func TestTooStrictThresholdIsRaisedInAutoMode(t *testing.T) {
	h := newHarness(t)
	n := h.runUntil(10, func() bool { return h.threshold() != testDefault })
	t.Logf("threshold changed after %d batches of 60 responses", n)
	th := h.threshold()
	if th <= testDefault || th > testDefault+0.2+1e-12 {
		t.Fatalf("threshold %g, want raised by at most the step limit 0.2 from %g", th, testDefault)
	}
	st := h.s.Status()
	if st.Summary.Applied < 1 {
		t.Fatalf("summary %+v", st.Summary)
	}
	var applied *ProposalView
	for i := range st.Recent {
		if p := &st.Recent[i]; p.Key == "verifier/pii_threshold" && p.Status == learn.StatusApplied.String() {
			applied = p
		}
	}
	if applied == nil || applied.Shadow == nil || !applied.Shadow.Accept || applied.KVKey != testKey || applied.KVRevision == 0 {
		t.Fatalf("applied proposal %+v", applied)
	}
	kv, _ := h.env.JS.KeyValue(context.Background(), bus.BucketConfig)
	e, err := kv.Get(context.Background(), testKey)
	if err != nil || e.Revision() != applied.KVRevision {
		t.Fatalf("KV entry %v (err %v), want revision %d", e, err, applied.KVRevision)
	}
}

func TestManualModeNeedsApprovalAndRollbackRestores(t *testing.T) {
	h := newHarness(t, WithMode(ModeManual))
	var props Proposals
	h.runUntil(10, func() bool {
		data, code, desc := h.request(SubjectProposals, "")
		if code != "" {
			t.Fatalf("proposals: %s %s", code, desc)
		}
		if err := json.Unmarshal(data, &props); err != nil {
			t.Fatal(err)
		}
		return len(props.Pending) > 0
	})
	if th := h.threshold(); th != testDefault {
		t.Fatalf("manual mode changed the threshold to %g before approval", th)
	}
	p := props.Pending[0]
	if p.KVKey != testKey || p.Level != 2 {
		t.Fatalf("pending %+v", p)
	}
	want, err := strconv.ParseFloat(p.New, 64)
	if err != nil {
		t.Fatalf("new value %q: %v", p.New, err)
	}

	// Bad requests first.
	for _, c := range []struct{ subject, body, code string }{
		{SubjectApprove, "", CodeBadRequest},
		{SubjectApprove, "abc", CodeBadRequest},
		{SubjectApprove, `{"id":1,"bogus":2}`, CodeBadRequest},
		{SubjectApprove, "0", CodeBadRequest},
		{SubjectApprove, "999", CodeNotFound},
		{SubjectReject, `{"id":999,"reason":"no"}`, CodeNotFound},
		{SubjectRollback, "0", CodeBadRequest},
		{SubjectRollback, `{"revision":77}`, CodeNotFound},
	} {
		_, code, desc := h.request(c.subject, c.body)
		if code != c.code || desc == "" {
			t.Errorf("%s %q: code %q (%s), want %s with a message", c.subject, c.body, code, desc, c.code)
		}
	}

	data, code, desc := h.request(SubjectApprove, `{"id":`+strconv.FormatUint(p.ID, 10)+`}`)
	if code != "" {
		t.Fatalf("approve: %s %s", code, desc)
	}
	var ap ProposalView
	if err := json.Unmarshal(data, &ap); err != nil {
		t.Fatal(err)
	}
	if ap.Status != "applied" || ap.Revision == 0 {
		t.Fatalf("approved %+v", ap)
	}
	if th := h.threshold(); th != want {
		t.Fatalf("threshold %g after approval, want %g", th, want)
	}
	// Approving it again is a state conflict.
	if _, code, _ := h.request(SubjectApprove, strconv.FormatUint(p.ID, 10)); code != CodeConflict {
		t.Fatalf("second approval: code %q, want %s", code, CodeConflict)
	}

	data, code, desc = h.request(SubjectRollback, strconv.FormatUint(ap.Revision, 10))
	if code != "" {
		t.Fatalf("rollback: %s %s", code, desc)
	}
	var rb ProposalView
	if err := json.Unmarshal(data, &rb); err != nil {
		t.Fatal(err)
	}
	if !rb.Rollback || rb.RollbackOf != ap.Revision || rb.Status != "applied" {
		t.Fatalf("rollback %+v", rb)
	}
	if th := h.threshold(); th != testDefault {
		t.Fatalf("threshold %g after rollback, want %g", th, testDefault)
	}
	// The audit trail has the whole story, with KV revisions for both writes.
	data, code, _ = h.request(SubjectAudit, "")
	if code != "" {
		t.Fatal(code)
	}
	var trail []map[string]any
	if err := json.Unmarshal(data, &trail); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range trail {
		kinds[e["kind"].(string)]++
		if e["kind"] == "applied" && e["KVRevision"].(float64) == 0 {
			t.Errorf("applied entry without KV revision: %v", e)
		}
	}
	if kinds["applied"] != 2 || kinds["rolled_back"] != 1 || kinds["proposed"] < 2 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

func TestAuditSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	h.runUntil(10, func() bool { return h.threshold() != testDefault })
	before := h.s.Status()
	th := h.threshold()
	h.restart()
	after := h.s.Status()
	if after.Restored == 0 || uint64(after.Restored) != uint64(len(h.s.l.Audit(1))) {
		t.Fatalf("restored %d entries, trail has %d", after.Restored, len(h.s.l.Audit(1)))
	}
	if after.Summary.Revision != before.Summary.Revision || after.Summary.Applied != before.Summary.Applied ||
		after.Summary.Rejected != before.Summary.Rejected {
		t.Fatalf("summary after restart %+v, before %+v", after.Summary, before.Summary)
	}
	if got := h.s.l.Config().Number("verifier/pii_threshold", 0); got != th {
		t.Fatalf("restored threshold %g, KV %g", got, th)
	}
	// The stored trail replays to the learner's configuration, revision by revision.
	_, recs, err := loadAudit(context.Background(), h.s.auditKV)
	if err != nil {
		t.Fatal(err)
	}
	trail := make([]learn.AuditEntry, len(recs))
	for i := range recs {
		trail[i] = recs[i].Entry
	}
	cfgs, err := learn.Replay(h.s.l.Initial(), trail)
	if err != nil || !cfgs[len(cfgs)-1].Equal(h.s.l.Config()) {
		t.Fatalf("replay of the stored trail: %v (%d configurations)", err, len(cfgs))
	}
	// Rolling back a change made before the restart writes the old value back.
	var rev uint64
	for _, p := range h.s.l.Proposals() {
		if p.Mod.Key == "verifier/pii_threshold" && p.Status == learn.StatusApplied && !p.Mod.Rollback {
			rev = p.Revision
		}
	}
	if _, err := h.s.Rollback(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	if got := h.threshold(); got == th {
		t.Fatalf("threshold still %g after rolling back revision %d", got, rev)
	}
}

func TestBadFeedback(t *testing.T) {
	h := newHarness(t, WithFeedbackRate(1e-6, 3))
	ids := make([]string, 6)
	for i := range ids {
		ids[i], _ = h.response("t1", 0.9, 0.5)
	}
	h.caughtUp()
	h.label("never-seen", "verifier", "pii", wire.LabelTruePositive)
	h.label(ids[0], "attractor", "loop", wire.LabelTruePositive) // no such verdict
	h.label(ids[0], "verifier", "pii", wire.LabelTruePositive)
	h.label(ids[0], "verifier", "pii", wire.LabelTruePositive)  // duplicate
	h.label(ids[0], "verifier", "pii", wire.LabelFalsePositive) // contradicts: replaces
	for _, id := range ids[1:] {
		h.label(id, "verifier", "pii", wire.LabelTruePositive) // one left in the burst, then flood
	}
	h.publishRaw(wire.FeedbackSubject("x1"), wire.SchemaFeedback, []byte(`{"stream":"x1","label":"maybe"}`))
	h.feedback++
	h.caughtUp()
	c := h.s.Status().Counters
	if c.UnknownStream != 1 || c.UnknownRule != 1 || c.Duplicate != 1 || c.LabelsAccepted != 3 || c.Flood != 4 ||
		c.InvalidFeedback != 1 || c.DeadLettered != 1 {
		t.Fatalf("counters %+v", c)
	}
	st := h.s.Status()
	for _, r := range st.Level1[0].FPRates {
		if r.Analyser == "verifier" && r.Rule == "pii" && (r.Trials != 2 || r.Hits != 1) {
			t.Fatalf("the corrected label counted twice: %+v", r)
		}
	}
	dlq, err := h.env.JS.Stream(context.Background(), bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(context.Background())
	if err != nil || info.State.Msgs != 1 {
		t.Fatalf("DLQ: %+v %v", info, err)
	}
}

func TestMicroDiscoveryAndStatus(t *testing.T) {
	h := newHarness(t)
	m, err := h.env.NC.Request("$SRV.PING."+Name, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var ping struct{ Name string }
	if err := json.Unmarshal(m.Data, &ping); err != nil || ping.Name != Name {
		t.Fatalf("ping %s %v", m.Data, err)
	}
	data, code, _ := h.request(SubjectStatus, "")
	if code != "" {
		t.Fatal(code)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st["mode"] != "auto" || st["targets"] == nil || st["level3"] == nil {
		t.Fatalf("status %s", data)
	}
	if _, code, _ := h.request(SubjectAudit, `{"from":"x"}`); code != CodeBadRequest {
		t.Fatalf("bad audit request: %q", code)
	}
}

// TestLabelBeforeItsVerdict: the feedback consumer can run ahead of the verdict consumer; a
// label for a buffered response whose verdict has not arrived waits for it.
func TestLabelBeforeItsVerdict(t *testing.T) {
	h := newHarness(t)
	id, _ := h.response("t1", 0.1, 0.5) // chunk only
	h.caughtUp()
	h.label(id, "verifier", "pii", wire.LabelTruePositive)
	h.caughtUp()
	if c := h.s.Status().Counters; c.Deferred != 1 || c.LabelsAccepted != 0 {
		t.Fatalf("counters %+v", c)
	}
	h.publish(wire.VerdictSubject("verifier", id), wire.SchemaVerdict, wire.Verdict{Stream: id, Analyser: "verifier",
		Seq: 0, Time: time.Now().UTC(), Kind: "rule", Rule: "pii", Status: "detected", Score: 0.9})
	h.verdicts++
	h.caughtUp()
	if c := h.s.Status().Counters; c.LabelsAccepted != 1 || c.UnknownRule != 0 {
		t.Fatalf("counters %+v", c)
	}
}
