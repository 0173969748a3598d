package learn

import (
	"fmt"
	"time"
)

// AuditKind is what an audit entry records.
type AuditKind uint8

// Audit entry kinds.
const (
	AuditProposed   AuditKind = iota + 1 // a proposal was made (and passed the safety check)
	AuditRejected                        // a proposal was rejected: by a constraint, shadow evaluation or an operator
	AuditApplied                         // a proposal was applied, producing a new revision
	AuditEvaluated                       // an applied change was judged from evidence after it
	AuditRolledBack                      // an applied change was undone by a later revision
)

func (k AuditKind) String() string {
	switch k {
	case AuditProposed:
		return "proposed"
	case AuditRejected:
		return "rejected"
	case AuditApplied:
		return "applied"
	case AuditEvaluated:
		return "evaluated"
	case AuditRolledBack:
		return "rolled_back"
	}
	return fmt.Sprintf("audit(%d)", k)
}

// AuditEntry is one line of the audit trail: what (Mod), when (Time), why (Mod.Reason and
// Evidence), by which level (Mod.Level), and the configuration revision it produced (Applied) or
// concerns (Evaluated, RolledBack).
type AuditEntry struct {
	Seq      uint64
	Time     time.Time
	Kind     AuditKind
	Proposal uint64
	Mod      Modification
	Revision uint64
	Rule     string      // the constraint that rejected it (Rejected)
	Reason   string      // rejection reason, or evaluation detail
	Eval     *Evaluation // Evaluated only
	Shadow   *ShadowResult
}

// Replay rebuilds every configuration from the initial one and an audit trail: configs[r] is
// the configuration at revision r. It checks that each applied change's old value and revision
// match, so a trail that was edited or is missing entries fails with an error wrapping ErrStale.
func Replay(initial Config, trail []AuditEntry) ([]Config, error) {
	if initial.rev != 0 {
		return nil, fmt.Errorf("%w: replay must start at revision 0, not %d", ErrStale, initial.rev)
	}
	out := []Config{initial}
	cur := initial
	for _, e := range trail {
		if e.Kind != AuditApplied {
			continue
		}
		if e.Revision != cur.rev+1 {
			return out, fmt.Errorf("%w: audit entry %d produces revision %d after revision %d", ErrStale, e.Seq, e.Revision, cur.rev)
		}
		if got := cur.Get(e.Mod.Key); !got.Equal(e.Mod.Old) {
			return out, fmt.Errorf("%w: audit entry %d expects %s = %v, config has %v", ErrStale, e.Seq, e.Mod.Key, e.Mod.Old, got)
		}
		cur = cur.with(e.Mod.Key, e.Mod.New)
		out = append(out, cur)
	}
	return out, nil
}
