package learn

// Summary is the learner's state at a glance, for the service's status endpoint and the demo.
type Summary struct {
	Revision       uint64
	Depth          int
	Baselines      int
	Streams        int // streams remembered for feedback
	Pending        int
	Applied        int
	Rejected       int
	RolledBack     int
	AppliedByLevel [MaxDepth + 1]int // index 0 is the operator
	Targets        []TargetStatus
}

// TargetStatus is one level-2 threshold policy's state.
type TargetStatus struct {
	Key       string
	Value     float64 // the threshold now
	Target    float64 // the FP-rate target
	Gain      float64 // level 2's step size (adapted by level 3)
	Evidence  float64 // labels required per batch (adapted by level 3)
	Batch     Rate    // labels in the current batch
	Lo, Hi    float64 // the batch's 95% Wilson interval
	Awaiting  bool    // the last change is waiting for its evaluation
	Proposals int     // proposals this policy has made
}

// Summary returns the learner's state.
func (l *Learner) Summary() Summary {
	s := Summary{
		Revision: l.cur.rev, Depth: l.cfg.depth, Baselines: len(l.know.baselines),
		Streams: len(l.streams.m), Pending: len(l.pendingKey),
	}
	made := map[string]int{}
	for _, p := range l.proposals {
		switch p.Status {
		case StatusApplied, StatusRolledBack:
			s.Applied++
			if p.Status == StatusRolledBack {
				s.RolledBack++
			}
			if p.Mod.Level >= 0 && p.Mod.Level <= MaxDepth {
				s.AppliedByLevel[p.Mod.Level]++
			}
		case StatusRejected:
			s.Rejected++
		}
		if p.watched == 2 && p.Mod.Level == 2 {
			made[p.Mod.Key]++
		}
	}
	for _, p := range l.policies {
		lo, hi := p.epoch.Wilson(Z95)
		s.Targets = append(s.Targets, TargetStatus{
			Key: p.t.Key, Value: l.cur.Number(p.t.Key, 0), Target: p.t.FPRate,
			Gain:     l.cur.Number(GainKey(p.t.Key), p.t.Gain),
			Evidence: l.cur.Number(EvidenceKey(p.t.Key), float64(p.t.Evidence)),
			Batch:    p.epoch, Lo: lo, Hi: hi, Awaiting: p.await, Proposals: made[p.t.Key],
		})
	}
	return s
}
