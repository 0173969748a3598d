package learn

import (
	"errors"
	"fmt"
	"math"
)

// Propose submits a modification from outside the learner (an operator, or a service-level
// policy). It is checked against the safety constraints at once: a modification that fails
// is kept as a rejected proposal and the *ConstraintError is returned with it. Level must be in
// 0..Depth (0 for an operator).
func (l *Learner) Propose(m Modification) (Proposal, error) {
	if m.Level < 0 || m.Level > l.cfg.depth {
		return Proposal{}, &InputError{Field: "Modification.Level", Reason: fmt.Sprintf("%d not in 0..%d", m.Level, l.cfg.depth)}
	}
	if err := checkName("Modification.Key", m.Key, true); err != nil {
		return Proposal{}, err
	}
	if m.New.Kind == KindNumber && (math.IsNaN(m.New.Num) || math.IsInf(m.New.Num, 0)) {
		return Proposal{}, &InputError{Field: "Modification.New", Reason: "not finite"}
	}
	id := l.submit(m, "", 0)
	pr := l.proposals[id]
	if pr.Status == StatusRejected {
		return *pr, pr.err
	}
	return *pr, nil
}

// Check runs the safety constraints on m against the current configuration and history without
// recording anything; it returns nil or a *ConstraintError.
func (l *Learner) Check(m Modification) error {
	return l.safety.check(&m, l.cur, l.now())
}

// submit records a proposal, rejecting it at once if it fails a constraint. base and watched
// tie meta-policy parameters to their level-2 key (see metaObserve).
func (l *Learner) submit(m Modification, base string, watched int) uint64 {
	l.nextID++
	pr := &Proposal{ID: l.nextID, Mod: m, Created: l.now(), Status: StatusPending, base: base, watched: watched}
	l.proposals[pr.ID] = pr
	if err := l.safety.check(&pr.Mod, l.cur, pr.Created); err != nil {
		l.rejectWith(pr, err)
		return pr.ID
	}
	l.addAudit(AuditEntry{Kind: AuditProposed, Proposal: pr.ID, Mod: pr.Mod})
	l.pendingKey[m.Key] = pr.ID
	if m.Level == 2 && watched == 2 {
		for _, p := range l.byKey[m.Key] {
			p.pending = pr.ID
		}
	}
	return pr.ID
}

func (l *Learner) rejectWith(pr *Proposal, err error) {
	pr.Status = StatusRejected
	pr.err = err
	pr.Reason = err.Error()
	if ce := (*ConstraintError)(nil); errors.As(err, &ce) {
		pr.Rule, pr.Reason = ce.Rule, ce.Reason
	}
	if l.pendingKey[pr.Mod.Key] == pr.ID {
		delete(l.pendingKey, pr.Mod.Key)
	}
	for _, p := range l.byKey[pr.Mod.Key] {
		if p.pending == pr.ID {
			p.pending = 0
			p.resetBatch()
		}
	}
	l.addAudit(AuditEntry{Kind: AuditRejected, Proposal: pr.ID, Mod: pr.Mod, Rule: pr.Rule, Reason: pr.Reason, Shadow: pr.Shadow})
}

func (l *Learner) addAudit(e AuditEntry) {
	e.Seq = uint64(len(l.audit)) + 1
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	l.audit = append(l.audit, e)
}

// Proposal returns a proposal by id.
func (l *Learner) Proposal(id uint64) (Proposal, error) {
	pr, ok := l.proposals[id]
	if !ok {
		return Proposal{}, fmt.Errorf("%w: proposal %d", ErrNotFound, id)
	}
	return *pr, nil
}

// Pending returns the pending proposals in id order.
func (l *Learner) Pending() []Proposal {
	out := make([]Proposal, 0, len(l.pendingKey))
	for _, id := range l.pendingKey {
		out = append(out, *l.proposals[id])
	}
	sortProposals(out)
	return out
}

// Proposals returns every proposal ever made, in id order.
func (l *Learner) Proposals() []Proposal {
	out := make([]Proposal, 0, len(l.proposals))
	for _, pr := range l.proposals {
		out = append(out, *pr)
	}
	sortProposals(out)
	return out
}

// Audit returns the audit trail from entry seq on (1 for all). The entries are copies.
func (l *Learner) Audit(from uint64) []AuditEntry {
	if from < 1 {
		from = 1
	}
	if from > uint64(len(l.audit)) {
		return nil
	}
	return append([]AuditEntry(nil), l.audit[from-1:]...)
}

func (l *Learner) pending(id uint64) (*Proposal, error) {
	pr, ok := l.proposals[id]
	if !ok {
		return nil, fmt.Errorf("%w: proposal %d", ErrNotFound, id)
	}
	if pr.Status != StatusPending {
		return nil, fmt.Errorf("%w: proposal %d is %s", ErrState, id, pr.Status)
	}
	return pr, nil
}

// Shadow evaluates pending proposal id against the current configuration on n recorded
// responses (see ShadowCompare). A proposal that does not help by margin is rejected (rule
// "shadow") and stays in the audit trail with the result.
func (l *Learner) Shadow(id uint64, n int, eval Evaluator, margin float64) (ShadowResult, error) {
	pr, err := l.pending(id)
	if err != nil {
		return ShadowResult{}, err
	}
	res, err := ShadowCompare(l.cur, l.cur.with(pr.Mod.Key, pr.Mod.New), n, eval, margin)
	if err != nil {
		return res, err
	}
	pr.Shadow = &res
	if !res.Accept {
		l.rejectWith(pr, &ConstraintError{Rule: "shadow", Key: pr.Mod.Key,
			Reason: fmt.Sprintf("mean utility change %+.4g (95%% lower bound %+.4g) over %d responses does not exceed margin %.4g",
				res.MeanDiff, res.Lower, res.N, margin)})
	}
	return res, nil
}

// Reject rejects pending proposal id (an operator's decision, or the service's manual mode).
func (l *Learner) Reject(id uint64, reason string) error {
	pr, err := l.pending(id)
	if err != nil {
		return err
	}
	l.rejectWith(pr, &ConstraintError{Rule: "operator", Key: pr.Mod.Key, Reason: reason})
	return nil
}

// Apply applies pending proposal id: it re-checks the safety constraints at the current time
// (rules over time windows may have changed their answer), checks that the key still holds the
// proposal's old value, and produces the next configuration revision. It returns the applied
// proposal, or the proposal rejected with the error (*ConstraintError, or ErrStale).
func (l *Learner) Apply(id uint64) (Proposal, error) {
	pr, err := l.pending(id)
	if err != nil {
		return Proposal{}, err
	}
	m := &pr.Mod
	if got := l.cur.Get(m.Key); !got.Equal(m.Old) {
		err := fmt.Errorf("%w: %s is %v, proposal expected %v", ErrStale, m.Key, got, m.Old)
		l.rejectWith(pr, err)
		return *pr, err
	}
	now := l.now()
	if err := l.safety.check(m, l.cur, now); err != nil {
		l.rejectWith(pr, err)
		return *pr, err
	}
	l.cur = l.cur.with(m.Key, m.New)
	rev := l.cur.rev
	pr.Status, pr.Revision = StatusApplied, rev
	l.revOf[rev] = pr.ID
	delete(l.pendingKey, m.Key)
	l.addAudit(AuditEntry{Time: now, Kind: AuditApplied, Proposal: pr.ID, Mod: *m, Revision: rev, Shadow: pr.Shadow})
	l.safety.recordChange(m, now)
	if m.Rollback {
		if oid, ok := l.revOf[m.RollbackOf]; ok {
			o := l.proposals[oid]
			o.Status = StatusRolledBack
			l.addAudit(AuditEntry{Time: now, Kind: AuditRolledBack, Proposal: oid, Mod: o.Mod, Revision: m.RollbackOf,
				Reason: fmt.Sprintf("rolled back by revision %d: %s", rev, m.Reason)})
		}
	}
	own := m.Level == 2 && pr.watched == 2 && !m.Rollback
	for _, p := range l.byKey[m.Key] {
		p.pending = 0
		p.startRev = rev
		p.await, p.awaitOwn = !m.Rollback, own
		p.awaitRev, p.awaitStep, p.awaitClamped = rev, m.Step(), own && p.clamped
		p.before = p.epoch
		p.resetBatch()
	}
	w := &watch{rev: rev}
	if o := l.outcomes[m.Key]; o != nil {
		w.before = *o
	}
	l.watches[m.Key] = w
	l.outcomes[m.Key] = &Moments{}
	if m.Level >= 3 && pr.watched >= 2 && m.Old.Kind == KindNumber && m.New.Kind == KindNumber {
		l.metaObserve(m.Level, pr.base, sign(m.New.Num-m.Old.Num), true, false)
	}
	return *pr, nil
}

// Rollback proposes undoing the change that produced revision rev: the key returns to the value
// it had before that change. The rollback is a proposal like any other (checked, audited,
// applied with Apply), marked Rollback; a pending proposal for the same key is rejected in its
// favour.
func (l *Learner) Rollback(rev uint64) (Proposal, error) {
	id, err := l.rollback(rev, "operator request")
	if err != nil {
		return Proposal{}, err
	}
	pr := l.proposals[id]
	return *pr, pr.err
}

func (l *Learner) rollback(rev uint64, why string) (uint64, error) {
	oid, ok := l.revOf[rev]
	if !ok {
		return 0, fmt.Errorf("%w: no change produced revision %d", ErrNotFound, rev)
	}
	o := l.proposals[oid]
	if o.Status != StatusApplied {
		return 0, fmt.Errorf("%w: revision %d is %s", ErrState, rev, o.Status)
	}
	if pid, busy := l.pendingKey[o.Mod.Key]; busy {
		l.rejectWith(l.proposals[pid], &ConstraintError{Rule: "superseded", Key: o.Mod.Key,
			Reason: fmt.Sprintf("rollback of revision %d takes precedence", rev)})
	}
	m := Modification{
		Level: o.Mod.Level, Key: o.Mod.Key, Old: l.cur.Get(o.Mod.Key), New: o.Mod.Old,
		Reason:   fmt.Sprintf("roll back revision %d (%v): %s", rev, o.Mod.String(), why),
		Evidence: o.Mod.Evidence, Expected: "outcomes return to their level before revision " + fmt.Sprint(rev),
		Rollback: true, RollbackOf: rev,
	}
	return l.submit(m, o.base, o.watched), nil
}

// Outcome reports the utility (higher is better) of one live response under the current
// configuration, for the change of key it is attributed to; the service computes it with the
// same evaluator it uses for shadow evaluation. Once WithWatch's n outcomes follow a change, the
// change is evaluated against the outcomes before it by Welch's t-test; a significant
// degradation beyond the margin makes the learner propose its rollback. The evaluation is
// returned when one was made.
func (l *Learner) Outcome(key string, utility float64) (*Evaluation, error) {
	if math.IsNaN(utility) || math.IsInf(utility, 0) {
		return nil, &InputError{Field: "utility", Reason: "not finite"}
	}
	w := l.watches[key]
	if w == nil {
		o := l.outcomes[key]
		if o == nil {
			if len(l.outcomes) >= l.cfg.maxSeries*l.cfg.maxBaselines {
				return nil, fmt.Errorf("%w: outcome series", ErrCapacity)
			}
			o = &Moments{}
			l.outcomes[key] = o
		}
		o.Add(utility)
		return nil, nil
	}
	w.after.Add(utility)
	if w.after.N < l.cfg.watchN {
		return nil, nil
	}
	delete(l.watches, key)
	*l.outcomes[key] = w.after
	ev := Evaluation{Revision: w.rev, Key: key, Before: w.before.Mean(), After: w.after.Mean(), N: w.after.N}
	lo, hi, err := WelchBounds(w.before, w.after)
	if err != nil {
		ev.Detail = "inconclusive: fewer than 2 outcomes before the change"
		l.recordEval(ev)
		return &ev, nil
	}
	ev.Lo, ev.Hi = lo, hi
	ev.Improved = lo > 0
	ev.Degraded = hi < -l.cfg.watchMargin
	ev.Detail = fmt.Sprintf("mean utility %.4g -> %.4g over %d/%d outcomes; difference in [%.4g, %.4g] (Welch 95%%)",
		ev.Before, ev.After, w.before.N, w.after.N, lo, hi)
	l.recordEval(ev)
	if ev.Degraded {
		if id, ok := l.revOf[w.rev]; ok && l.proposals[id].Status == StatusApplied && !l.proposals[id].Mod.Rollback {
			_, _ = l.rollback(w.rev, "outcomes degraded: "+ev.Detail)
		}
	}
	return &ev, nil
}

func (l *Learner) recordEval(ev Evaluation) {
	now := l.now()
	l.addAudit(AuditEntry{Time: now, Kind: AuditEvaluated, Proposal: l.revOf[ev.Revision], Revision: ev.Revision, Reason: ev.Detail, Eval: &ev})
	l.safety.recordEval(ev.Key, ev.Improved, ev.Degraded, now)
}
