package learn

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Learner runs all levels: it takes observations and feedback, keeps the knowledge, makes
// proposals, checks them against the safety constraints, applies accepted ones to its
// configuration, watches their outcomes and keeps the audit trail. It does no I/O and is not
// safe for concurrent use: the service serialises calls (one goroutine or a mutex).
type Learner struct {
	cfg     config
	now     func() time.Time
	know    *Knowledge
	streams streamTable
	buckets map[string]*bucket

	initial Config
	cur     Config

	policies []*thresholdPolicy
	byKey    map[string][]*thresholdPolicy
	meta     map[string]*metaState
	safety   *safety

	proposals  map[uint64]*Proposal
	pendingKey map[string]uint64
	nextID     uint64
	audit      []AuditEntry

	watches  map[string]*watch // by key: outcome watch of the key's last change
	outcomes map[string]*Moments

	patternSeen  map[string]struct{}
	patternOrder []string
	sinceMine    map[*Baseline]int
	revOf        map[uint64]uint64 // revision -> proposal id that produced it
}

// watch follows one applied change's outcomes.
type watch struct {
	rev    uint64
	before Moments
	after  Moments
}

// bucket is a per-tenant token bucket for feedback.
type bucket struct {
	tokens float64
	last   time.Time
}

// NewLearner returns a learner starting from the initial configuration (revision 0). Every
// target's key must hold a number in initial. The meta-policy keys (GainKey, EvidenceKey,
// RateKey) are added to the initial configuration with their starting values when absent;
// Initial returns the completed configuration, which is what Replay starts from.
func NewLearner(initial Config, opts ...Option) (*Learner, error) {
	c := defaultConfig()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	l := &Learner{
		cfg:         c,
		now:         c.clock,
		buckets:     make(map[string]*bucket),
		byKey:       make(map[string][]*thresholdPolicy),
		meta:        make(map[string]*metaState),
		proposals:   make(map[uint64]*Proposal),
		pendingKey:  make(map[string]uint64),
		watches:     make(map[string]*watch),
		outcomes:    make(map[string]*Moments),
		patternSeen: make(map[string]struct{}),
		sinceMine:   make(map[*Baseline]int),
		revOf:       make(map[uint64]uint64),
	}
	l.know = newKnowledge(&c)
	l.streams.init(c.maxStreams)
	vals := make(map[string]Value, initial.Len())
	for _, k := range initial.Keys() {
		vals[k] = initial.Get(k)
	}
	for i := range c.targets {
		t := c.targets[i]
		if v := vals[t.Key]; v.Kind != KindNumber {
			return nil, &InputError{Field: "initial config", Reason: fmt.Sprintf("target key %q holds %v, need a number", t.Key, v)}
		}
		if _, ok := vals[GainKey(t.Key)]; !ok {
			vals[GainKey(t.Key)] = Number(t.Gain)
		}
		if _, ok := vals[EvidenceKey(t.Key)]; !ok {
			vals[EvidenceKey(t.Key)] = Number(float64(t.Evidence))
		}
		for lv := 3; lv < c.depth; lv++ {
			if _, ok := vals[RateKey(t.Key, lv)]; !ok {
				vals[RateKey(t.Key, lv)] = Number(c.meta.Rate)
			}
		}
		p := &thresholdPolicy{t: t}
		l.policies = append(l.policies, p)
		l.byKey[t.Key] = append(l.byKey[t.Key], p)
	}
	l.initial = NewConfig(vals)
	l.cur = l.initial
	s, err := newSafety(c.bounds, c.rules, c.history)
	if err != nil {
		return nil, err
	}
	l.safety = s
	return l, nil
}

// Initial returns the revision-0 configuration (with the meta-policy defaults filled in).
func (l *Learner) Initial() Config { return l.initial }

// Config returns the current configuration.
func (l *Learner) Config() Config { return l.cur }

// Knowledge returns level 1. It is owned by the learner: read it between calls only.
func (l *Learner) Knowledge() *Knowledge { return l.know }

// Depth returns the number of levels that learn.
func (l *Learner) Depth() int { return l.cfg.depth }

// Observe records one response (level 0) and updates level 1. It may create pattern proposals.
// The observation is not retained.
func (l *Learner) Observe(o *Observation) error {
	if err := o.Validate(); err != nil {
		return err
	}
	tm := TenantModel{o.Tenant, o.Model}
	b, err := l.know.baseline(tm)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCapacity, err)
	}
	l.know.observe(b, o)
	l.streams.put(o, tm, l.cur.rev)
	if o.violationAt() >= 0 {
		l.sinceMine[b]++
		if l.sinceMine[b] >= l.cfg.patterns.Every {
			l.sinceMine[b] = 0
			l.proposePatterns(tm, b)
		}
	}
	return nil
}

// MinePatterns runs the pattern policy for one tenant and model now, instead of waiting for
// the next PatternPolicy.Every violations, and returns the proposals it made.
func (l *Learner) MinePatterns(tenant, model string) []Proposal {
	b := l.know.Baseline(tenant, model)
	if b == nil {
		return nil
	}
	first := l.nextID + 1
	l.proposePatterns(TenantModel{tenant, model}, b)
	var out []Proposal
	for id := first; id <= l.nextID; id++ {
		out = append(out, *l.proposals[id])
	}
	return out
}

func (l *Learner) proposePatterns(tm TenantModel, b *Baseline) {
	pp := &l.cfg.patterns
	made := 0
	for _, p := range b.Miner.Patterns(nil) {
		if made >= pp.MaxPerRun {
			return
		}
		key := fmt.Sprintf("%s/%s/%s/%016x", pp.Prefix, tm.Tenant, tm.Model, p.Key)
		if _, seen := l.patternSeen[key]; seen || l.cur.Get(key).Kind != KindAbsent {
			continue
		}
		if len(l.patternOrder) >= pp.Remember {
			old := l.patternOrder[0]
			l.patternOrder = l.patternOrder[1:]
			delete(l.patternSeen, old)
		}
		l.patternSeen[key] = struct{}{}
		l.patternOrder = append(l.patternOrder, key)
		js, _ := json.Marshal(p.Tokens)
		m := Modification{
			Level: 2, Key: key, Old: Absent(), New: Text(string(js)),
			Reason: fmt.Sprintf("pattern %s precedes violations: in >= %d of %d pre-violation windows, %d of %d benign windows",
				js, p.ViolLow, p.Violating, p.BenCount, p.Benign),
			Evidence: Evidence{N: p.Violating, Estimate: float64(p.ViolLow) / float64(p.Violating), Lo: p.RateLo, Hi: p.BaseHi,
				Detail: fmt.Sprintf("rate in pre-violation windows >= %.3f vs benign <= %.3f (95%% Wilson bounds, conservative counts); lift >= %.2f", p.RateLo, p.BaseHi, p.Lift)},
			Expected: "compare matches the pattern and flags responses heading for a violation earlier",
		}
		l.submit(m, "", 0)
		made++
	}
}

// Feedback records a label (level 0) for a verdict of an observed stream, updates level 1 and
// the level-2 policies, and may create proposals. Errors:
//   - ErrInvalid for a malformed label; ErrUnknownStream for a stream not observed (or
//     forgotten); ErrUnknownRule for an analyser/rule the stream has no verdict from;
//   - ErrDuplicateLabel when the same label was already given (ignored);
//   - ErrFlood when the tenant exceeded its feedback rate (not counted).
//
// A label that contradicts an earlier one for the same verdict replaces it: the earlier label's
// counts are taken back, so corrections never count twice.
func (l *Learner) Feedback(f *Feedback) error {
	if err := f.Validate(); err != nil {
		return err
	}
	e := l.streams.get(f.Stream)
	if e == nil {
		return fmt.Errorf("%w: %q", ErrUnknownStream, f.Stream)
	}
	rk := RuleKey{f.Analyser, f.Rule}
	vi := slices.IndexFunc(e.verdicts, func(v streamVerdict) bool { return v.rk == rk })
	if vi < 0 {
		return fmt.Errorf("%w: stream %q has no verdict from %s/%s", ErrUnknownRule, f.Stream, f.Analyser, f.Rule)
	}
	v := &e.verdicts[vi]
	if v.label == f.Label {
		return fmt.Errorf("%w: %s/%s on %q is already %s", ErrDuplicateLabel, f.Analyser, f.Rule, f.Stream, f.Label)
	}
	if !l.allow(e.tm.Tenant) {
		return fmt.Errorf("%w: tenant %q", ErrFlood, e.tm.Tenant)
	}
	b := l.know.Baseline(e.tm.Tenant, e.tm.Model)
	lc := b.Labels[rk]
	if lc == nil {
		lc = &LabelCounts{}
		b.Labels[rk] = lc
	}
	prev := v.label
	if prev != "" {
		lc.add(prev, -1)
	}
	lc.add(f.Label, 1)
	v.label = f.Label
	for _, p := range l.policies {
		if !p.t.matches(e.tm, rk) || !v.flagged || e.rev < p.startRev {
			continue
		}
		if isPositive(prev) && v.labelBatch == p.batch {
			p.epoch.Remove(prev == LabelFalsePositive)
		}
		if isPositive(f.Label) {
			p.epoch.Add(f.Label == LabelFalsePositive)
			v.labelBatch = p.batch
		}
		l.stepPolicy(p)
	}
	return nil
}

func isPositive(lb Label) bool { return lb == LabelTruePositive || lb == LabelFalsePositive }

// allow takes one token from the tenant's feedback bucket.
func (l *Learner) allow(tenant string) bool {
	now := l.now()
	bk := l.buckets[tenant]
	if bk == nil {
		if len(l.buckets) >= l.cfg.maxBaselines {
			// Tenants come from observed streams, so this only trips when baselines are full.
			return false
		}
		bk = &bucket{tokens: l.cfg.fbBurst, last: now}
		l.buckets[tenant] = bk
	}
	if dt := now.Sub(bk.last).Seconds(); dt > 0 {
		bk.tokens = min(l.cfg.fbBurst, bk.tokens+dt*l.cfg.fbRate)
		bk.last = now
	}
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}

func (l *Learner) targetGain(key string) float64 {
	if ps := l.byKey[key]; len(ps) > 0 {
		return ps[0].t.Gain
	}
	return 1
}

func (l *Learner) targetEvidence(key string) int {
	if ps := l.byKey[key]; len(ps) > 0 {
		return ps[0].t.Evidence
	}
	return 1
}

// stepPolicy evaluates the policy's last change and proposes the next one when its batch is
// complete.
func (l *Learner) stepPolicy(p *thresholdPolicy) {
	t := &p.t
	if p.pending != 0 {
		return
	}
	need := max(uint64(math.Ceil(l.cur.Number(EvidenceKey(t.Key), float64(t.Evidence)))), 1)
	// Look at the batch only when it reaches need·2^k labels: testing the interval after every
	// label would make a chance excursion outside it almost certain over a long batch (optional
	// stopping); doubling looks keep the number of tests logarithmic in the batch size.
	n := p.epoch.Trials
	if n < need || n%need != 0 || (n/need)&(n/need-1) != 0 {
		return
	}
	est := p.epoch.P()
	lo, hi := p.epoch.Wilson(Z99)
	if p.await {
		p.await = false
		if l.evaluate(p, est, lo, hi) {
			return
		}
	}
	if lo <= t.FPRate && t.FPRate <= hi {
		// On target within the noise: keep the batch, but bound its age so drift is seen.
		if n >= 64*need {
			p.resetBatch()
		}
		return
	}
	cur := l.cur.Number(t.Key, math.NaN())
	gain := l.cur.Number(GainKey(t.Key), t.Gain)
	// The error is measured from the interval's end nearest the target, not from the point
	// estimate: a batch that only just excludes the target moves the threshold a little, a
	// clear miss moves it a lot, so a chance excursion cannot throw the threshold far.
	errRate := lo - t.FPRate
	if hi < t.FPRate {
		errRate = hi - t.FPRate
	}
	step := t.Direction * gain * errRate
	nv := l.safety.clamp(t.Key, cur, cur+step)
	if nv == cur || math.IsNaN(nv) {
		p.resetBatch()
		return
	}
	m := Modification{
		Level: 2, Key: t.Key, Old: Number(cur), New: Number(nv),
		Reason: fmt.Sprintf("false-positive rate of %s/%s is %.3f [%.3f, %.3f] over %d labels, target %.3f",
			t.Analyser, t.Rule, est, lo, hi, p.epoch.Trials, t.FPRate),
		Evidence: Evidence{N: p.epoch.Trials, Estimate: est, Lo: lo, Hi: hi, Target: t.FPRate,
			Detail: fmt.Sprintf("Robbins–Monro step %.4g = %+g · gain %.4g · (%.3f - %.3f) (99%% interval end nearest the target), limited to %.4g by bounds",
				step, t.Direction, gain, t.FPRate+errRate, t.FPRate, nv-cur)},
		Expected: fmt.Sprintf("false-positive rate moves toward %.3f", t.FPRate),
	}
	p.clamped = nv != cur+step
	id := l.submit(m, t.Key, 2)
	if pr := l.proposals[id]; pr == nil || pr.Status == StatusRejected {
		// Start a fresh batch before trying again, so a rule that refuses does not see a
		// proposal per label.
		p.resetBatch()
	}
}

// evaluate judges the policy's key's last change from the first batch after it, against the
// batch before it, and reports whether it proposed a rollback. Every non-rollback change of the
// key is evaluated this way, whoever made it; only the policy's own changes feed level 3.
func (l *Learner) evaluate(p *thresholdPolicy, est, lo, hi float64) bool {
	t := &p.t
	after := math.Abs(est - t.FPRate)
	ev := Evaluation{Revision: p.awaitRev, Key: t.Key, After: after, Lo: lo, Hi: hi, N: p.epoch.Trials}
	if p.before.Trials == 0 {
		ev.Before = math.NaN()
		ev.Detail = fmt.Sprintf("no labels before the change to compare with; now |FP rate - target| = %.3f (rate %.3f in [%.3f, %.3f], %d labels)",
			after, est, lo, hi, p.epoch.Trials)
		l.recordEval(ev)
		return false
	}
	before := math.Abs(p.before.P() - t.FPRate)
	// The distance from the target to the nearest point of the new interval: if even that is
	// farther than the old estimate was, the change made things worse beyond the noise.
	far := 0.0
	if t.FPRate < lo {
		far = lo - t.FPRate
	} else if t.FPRate > hi {
		far = t.FPRate - hi
	}
	ev.Before, ev.Improved, ev.Degraded = before, after < before, far > before
	ev.Detail = fmt.Sprintf("|FP rate - target| was %.3f (rate %.3f, %d labels), now %.3f (rate %.3f in [%.3f, %.3f], %d labels)",
		before, p.before.P(), p.before.Trials, after, est, lo, hi, p.epoch.Trials)
	l.recordEval(ev)
	if p.awaitOwn {
		// A step cut short by a bound says nothing about whether the gain is right, so it may
		// damp the gain (on a flip) but never grow it.
		l.metaObserve(2, t.Key, sign(p.awaitStep), ev.Improved && !p.awaitClamped, ev.Degraded)
	}
	if ev.Degraded {
		if id, ok := l.revOf[p.awaitRev]; ok && l.proposals[id].Status == StatusApplied {
			_, _ = l.rollback(p.awaitRev, "evaluation: "+ev.Detail)
			p.resetBatch()
			return true
		}
	}
	return false
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
