package learn

// streamTable remembers the most recent streams (a bounded FIFO), so feedback can be tied to the
// stream's tenant, model, verdicts and the configuration revision it was analysed under.
type streamTable struct {
	m    map[string]*streamEntry
	ring []string
	head int
}

type streamEntry struct {
	tm       TenantModel
	rev      uint64
	verdicts []streamVerdict
}

type streamVerdict struct {
	rk         RuleKey
	flagged    bool
	label      Label
	labelBatch uint64 // the policy batch the label was counted in (thresholdPolicy.batch)
}

func (t *streamTable) init(n int) {
	t.m = make(map[string]*streamEntry, min(n, 1<<12))
	t.ring = make([]string, n)
}

func (t *streamTable) get(id string) *streamEntry { return t.m[id] }

// put records o's stream, replacing an earlier record of the same stream and evicting the
// oldest stream when full.
func (t *streamTable) put(o *Observation, tm TenantModel, rev uint64) {
	e, ok := t.m[o.Stream]
	if !ok {
		if old := t.ring[t.head]; old != "" {
			delete(t.m, old)
		}
		t.ring[t.head] = o.Stream
		t.head = (t.head + 1) % len(t.ring)
		e = &streamEntry{}
		t.m[o.Stream] = e
	}
	e.tm, e.rev = tm, rev
	e.verdicts = e.verdicts[:0]
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		e.verdicts = append(e.verdicts, streamVerdict{rk: RuleKey{v.Analyser, v.Rule}, flagged: v.Flagged})
	}
}
