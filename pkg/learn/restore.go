package learn

import "fmt"

// Restore rebuilds a new learner's decisions from an audit trail, after a restart: the
// configuration (by Replay from Initial, so the learner must be built with the same initial
// configuration and options), every proposal and its status, the safety histories that rules
// check (so a rate limit still counts the changes made before the restart), and the audit
// trail itself. Pending proposals stay pending. Call it on a fresh learner, before anything
// else; it returns an error wrapping ErrState otherwise, or ErrStale if the trail does not
// replay.
//
// Not restored: level 1 (baselines and mined patterns are rebuilt from new observations), the
// label batches of level 2 (a change that was waiting for its evaluation is evaluated on the
// first batch after the restart, without a before-batch, so inconclusively), and level 3's
// memory of change directions (it starts afresh).
func (l *Learner) Restore(trail []AuditEntry) error {
	if len(l.audit) != 0 || l.nextID != 0 || l.cur.rev != 0 {
		return fmt.Errorf("%w: Restore needs a fresh learner", ErrState)
	}
	cfgs, err := Replay(l.initial, trail)
	if err != nil {
		return err
	}
	for i := range trail {
		e := trail[i]
		if e.Seq != uint64(i)+1 {
			return fmt.Errorf("%w: audit entry %d has sequence %d", ErrStale, i+1, e.Seq)
		}
		pr := l.proposals[e.Proposal]
		if pr == nil && e.Kind != AuditEvaluated {
			pr = &Proposal{ID: e.Proposal, Mod: e.Mod, Created: e.Time, Status: StatusPending}
			pr.base, pr.watched = l.metaOwner(e.Mod)
			l.proposals[e.Proposal] = pr
			l.nextID = max(l.nextID, e.Proposal)
		}
		switch e.Kind {
		case AuditProposed:
			l.pendingKey[e.Mod.Key] = pr.ID
		case AuditRejected:
			pr.Status, pr.Rule, pr.Reason, pr.Shadow = StatusRejected, e.Rule, e.Reason, e.Shadow
			if l.pendingKey[e.Mod.Key] == pr.ID {
				delete(l.pendingKey, e.Mod.Key)
			}
		case AuditApplied:
			pr.Status, pr.Revision, pr.Shadow = StatusApplied, e.Revision, e.Shadow
			l.revOf[e.Revision] = pr.ID
			delete(l.pendingKey, e.Mod.Key)
			l.safety.recordChange(&pr.Mod, e.Time)
			for _, p := range l.byKey[e.Mod.Key] {
				p.startRev = e.Revision
				p.await = !e.Mod.Rollback
				p.awaitOwn = false
				p.awaitRev, p.awaitStep = e.Revision, pr.Mod.Step()
			}
		case AuditEvaluated:
			if e.Eval == nil {
				return fmt.Errorf("%w: evaluation entry %d without its evaluation", ErrStale, e.Seq)
			}
			l.safety.recordEval(e.Eval.Key, e.Eval.Improved, e.Eval.Degraded, e.Time)
			for _, p := range l.byKey[e.Eval.Key] {
				if p.awaitRev == e.Revision {
					p.await = false
				}
			}
		case AuditRolledBack:
			pr.Status = StatusRolledBack
		default:
			return fmt.Errorf("%w: audit entry %d of unknown kind %d", ErrStale, e.Seq, e.Kind)
		}
	}
	for key, id := range l.pendingKey {
		for _, p := range l.byKey[key] {
			if pr := l.proposals[id]; pr.Mod.Level == 2 && pr.watched == 2 {
				p.pending = id
			}
		}
	}
	l.cur = cfgs[len(cfgs)-1]
	l.audit = append(l.audit[:0], trail...)
	return nil
}

// metaOwner recovers which level-2 key a proposal's key belongs to, and whose parameter it is
// (see submit): a target threshold is level 2's, its gain level 2's learning parameter, its
// rate keys those of the levels above.
func (l *Learner) metaOwner(m Modification) (base string, watched int) {
	for key := range l.byKey {
		switch {
		case m.Key == key && m.Level == 2:
			return key, 2
		case m.Key == GainKey(key):
			return key, 2
		case m.Key == EvidenceKey(key):
			return key, 0
		}
		for lv := 3; lv < l.cfg.depth; lv++ {
			if m.Key == RateKey(key, lv) {
				return key, lv
			}
		}
	}
	return "", 0
}
