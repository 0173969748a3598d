package metalearn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/learn"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TargetsKey is the ms_config key holding the JSON array of TargetSpec metalearn tunes; it is
// read at start.
const TargetsKey = KVPrefix + "targets"

// Durable consumer names.
const (
	ConsumerVerdicts = Name + "-verdicts"
	ConsumerFeedback = Name + "-feedback"
	ConsumerChunks   = Name + "-chunks"
)

type target struct {
	spec TargetSpec
	lk   string
	rk   learn.RuleKey
}

// Counters are the service's running counts, reported by the status endpoint.
type Counters struct {
	Chunks, Verdicts, Feedback uint64 // messages handled
	Observed                   uint64 // responses handed to the learner
	LabelsAccepted             uint64
	// Feedback refused, by reason.
	UnknownStream, UnknownRule, Duplicate, Flood, InvalidFeedback, CapacityFeedback uint64
	DeadLettered                                                                    uint64
	LateVerdicts, LateChunks, IgnoredVerdicts                                       uint64
	Evicted                                                                         uint64 // responses observed early because the buffer was full
	ObserveErrors                                                                   uint64
	KVErrors, AuditErrors                                                           uint64
	ExternalChanges                                                                 uint64
	Deferred                                                                        uint64 // labels held back until their verdict arrived
}

// Service is the metalearn service. Create it with New and run it with Run; every learner
// call is made under one mutex (the learner is not safe for concurrent use).
type Service struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	o       options
	cfgKV   jetstream.KeyValue
	auditKV jetstream.KeyValue

	mu         sync.Mutex
	l          *learn.Learner
	targets    []*target
	byKey      map[string]*target
	open       map[string]*response
	remembered map[string]*remembered
	order      []string // remembered streams, FIFO ring
	orderNext  int
	records    map[string]*ring // by target learner key
	kvRev      map[uint64]uint64
	persisted  uint64
	unsynced   map[uint64]bool // applied revisions whose KV write failed
	c          Counters
	ctx        context.Context // Run's, for micro requests
	restored   int
}

// New connects the service to the bus: it provisions the audit bucket, reads the targets
// ("metalearn.targets" and WithTargets), builds the learner and restores it from the audit
// trail. It returns an error if the trail does not replay (learn.ErrStale): a trail that does
// not match its initial configuration must be looked at, not overwritten.
func New(ctx context.Context, nc *nats.Conn, opts ...Option) (*Service, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	s := &Service{nc: nc, js: js, o: o, byKey: map[string]*target{}, open: map[string]*response{},
		remembered: map[string]*remembered{}, records: map[string]*ring{}, kvRev: map[uint64]uint64{},
		unsynced: map[uint64]bool{}}
	if s.cfgKV, err = js.KeyValue(ctx, bus.BucketConfig); err != nil {
		return nil, fmt.Errorf("metalearn: %s: %w", bus.BucketConfig, err)
	}
	if s.auditKV, err = provisionAudit(ctx, js, o.auditBucket); err != nil {
		return nil, err
	}
	specs := append([]TargetSpec(nil), o.targets...)
	if o.targetsFromKV {
		e, err := s.cfgKV.Get(ctx, TargetsKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return nil, fmt.Errorf("metalearn: read %s: %w", TargetsKey, err)
		default:
			ts, err := ParseTargets(e.Value())
			if err != nil {
				return nil, err
			}
			specs = append(specs, ts...)
		}
	}
	stored, recs, err := loadAudit(ctx, s.auditKV)
	if err != nil {
		return nil, err
	}
	initial := map[string]learn.Value{}
	for k, v := range stored {
		initial[k] = v
	}
	var lopts []learn.Option
	for i := range specs {
		t := &target{spec: specs[i]}
		if t.lk, err = specs[i].validate(); err != nil {
			return nil, err
		}
		if s.byKey[t.lk] != nil {
			return nil, &ConfigError{Field: "targets", Reason: "duplicate key " + specs[i].Key}
		}
		t.rk = learn.RuleKey{Analyser: specs[i].Analyser, Rule: specs[i].Rule}
		s.byKey[t.lk] = t
		s.targets = append(s.targets, t)
		s.records[t.lk] = &ring{cap: o.records}
		if _, ok := initial[t.lk]; !ok {
			initial[t.lk] = learn.Number(s.currentNumber(ctx, specs[i].Key, specs[i].Default))
		}
		sp := specs[i]
		gain, evidence, floor := sp.Gain, sp.Evidence, sp.Min
		if gain == 0 {
			gain = 1
		}
		if evidence == 0 {
			evidence = 30
		}
		if sp.Floor != nil {
			floor = *sp.Floor
		}
		lopts = append(lopts,
			learn.WithTargets(learn.Target{Key: t.lk, Analyser: sp.Analyser, Rule: sp.Rule, Tenant: sp.Tenant, Model: sp.Model,
				FPRate: sp.FPRate, Direction: sp.Direction, Gain: gain, Evidence: evidence}),
			learn.WithBounds(learn.Bound{Key: t.lk, Min: sp.Min, Max: sp.Max, MaxStep: sp.MaxStep}),
			learn.WithRules(
				learn.FloorRule("floor:"+sp.Key, t.lk, floor),
				learn.EvaluateFirstRule("evaluate-first:"+sp.Key, t.lk),
				learn.RateRule("rate:"+sp.Key, t.lk, o.maxChanges, o.changeWindow)))
	}
	lopts = append(lopts, learn.WithClock(o.clock), learn.WithDepth(o.depth), learn.WithFeedbackRate(o.fbRate, o.fbBurst),
		learn.WithWatch(o.watchN, o.watchMargin), learn.WithLimits(256, 256, o.remember),
		learn.WithPatternPolicy(learn.PatternPolicy{Prefix: "patterns", Every: o.patternEvery, MaxPerRun: 4, Remember: 4096}))
	if s.l, err = learn.NewLearner(learn.NewConfig(initial), lopts...); err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		trail := make([]learn.AuditEntry, len(recs))
		for i := range recs {
			trail[i] = recs[i].Entry
			if recs[i].Entry.Kind == learn.AuditApplied {
				s.kvRev[recs[i].Entry.Revision] = recs[i].KVRevision
				if recs[i].KVRevision == 0 {
					s.unsynced[recs[i].Entry.Revision] = true
				}
			}
		}
		if err := s.l.Restore(trail); err != nil {
			return nil, fmt.Errorf("metalearn: restore from %s: %w", o.auditBucket, err)
		}
		s.persisted = uint64(len(recs))
		s.restored = len(recs)
	}
	if stored == nil || len(stored) != s.l.Initial().Len() {
		if err := storeInitial(ctx, s.auditKV, s.l.Initial()); err != nil {
			return nil, err
		}
	}
	s.order = make([]string, 0, min(o.remember, 1024))
	return s, nil
}

func (s *Service) currentNumber(ctx context.Context, kvKey string, def float64) float64 {
	e, err := s.cfgKV.Get(ctx, kvKey)
	if err != nil {
		return def
	}
	x, err := strconv.ParseFloat(string(e.Value()), 64)
	if err != nil {
		return def
	}
	return x
}

// Run consumes verdicts, feedback and chunks, serves the micro endpoints and settles buffered
// responses until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	ms, err := s.AddMicro(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = ms.Stop() }()
	type sub struct {
		stream, durable, filter string
		h                       func(context.Context, jetstream.Msg)
	}
	subs := []sub{
		{bus.StreamChunks, ConsumerChunks, wire.ChunkWildcard, s.handleChunk},
		{bus.StreamVerdicts, ConsumerVerdicts, wire.VerdictWildcard, s.handleVerdict},
		{bus.StreamFeedback, ConsumerFeedback, wire.FeedbackWildcard, s.handleFeedback},
	}
	for _, sb := range subs {
		cons, err := s.js.CreateOrUpdateConsumer(ctx, sb.stream, jetstream.ConsumerConfig{
			Durable: sb.durable, FilterSubject: sb.filter, AckPolicy: jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverNewPolicy, AckWait: 30 * time.Second, MaxAckPending: 1000, MaxDeliver: 5,
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting
			}
			return fmt.Errorf("metalearn: consumer %s: %w", sb.durable, err)
		}
		h := sb.h
		cc, err := cons.Consume(func(m jetstream.Msg) {
			h(ctx, m)
			_ = m.Ack()
		})
		if err != nil {
			return fmt.Errorf("metalearn: consume %s: %w", sb.durable, err)
		}
		defer cc.Stop()
	}
	tick := time.NewTicker(s.o.sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.Sweep(ctx)
		}
	}
}

// Sweep observes the buffered responses that have settled (final chunk seen and quiet for the
// settle time) or gone idle, retries failed KV and audit writes, and handles pending proposals.
func (s *Service) Sweep(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.clock()
	for id, r := range s.open {
		quiet := now.Sub(r.activity)
		switch {
		case len(r.deferred) > 0 && (!r.waiting() || now.Sub(r.deferredSince) >= deferFor):
			s.observe(ctx, r.stream)
		case r.final && quiet >= s.o.settle || quiet >= s.o.idle:
			s.observe(ctx, id)
		}
	}
	for rev := range s.unsynced {
		s.resync(ctx, rev)
	}
	s.processPending(ctx)
	s.persistAudit(ctx)
}

func (s *Service) deadLetter(ctx context.Context, m jetstream.Msg, stream string, err error) {
	s.c.DeadLettered++
	if dlErr := bus.DeadLetter(ctx, s.js, Name, m.Subject(), stream, m.Data(), err); dlErr != nil {
		s.o.log.Error("metalearn: dead-letter", "subject", m.Subject(), "err", dlErr)
	}
}

func (s *Service) handleChunk(ctx context.Context, m jetstream.Msg) {
	c, err := wire.DecodeChunk(m.Headers().Get(wire.HeaderSchema), m.Data())
	if err != nil {
		// The analysers' runtime dead-letters invalid chunks already; count it only.
		s.mu.Lock()
		s.c.Chunks++
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Chunks++
	if s.remembered[c.Stream] != nil {
		s.c.LateChunks++
		return
	}
	s.buffer(ctx, c.Stream).addChunk(c, s.o.maxTokens, s.o.clock())
}

func (s *Service) handleVerdict(ctx context.Context, m jetstream.Msg) {
	v, err := wire.DecodeVerdict(m.Headers().Get(wire.HeaderSchema), m.Data())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Verdicts++
	if err != nil {
		s.deadLetter(ctx, m, "", err)
		return
	}
	if v.Analyser == "scheduler" {
		// Shedding says nothing about the response's content.
		s.c.IgnoredVerdicts++
		return
	}
	if s.remembered[v.Stream] != nil {
		s.c.LateVerdicts++
		return
	}
	r := s.buffer(ctx, v.Stream)
	r.addVerdict(v, s.o.clock())
	if len(r.deferred) > 0 && !r.waiting() {
		s.observe(ctx, r.stream)
	}
}

// buffer returns the open response of stream, creating it; when the buffer is full the least
// recently active response is observed first.
func (s *Service) buffer(ctx context.Context, stream string) *response {
	if r := s.open[stream]; r != nil {
		return r
	}
	if len(s.open) >= s.o.maxOpen {
		var oldest *response
		for _, r := range s.open {
			if oldest == nil || r.activity.Before(oldest.activity) {
				oldest = r
			}
		}
		s.c.Evicted++
		s.observe(ctx, oldest.stream)
	}
	r := &response{stream: stream, activity: s.o.clock()}
	s.open[stream] = r
	return r
}

// observe hands an open response to the learner, remembers its verdicts for feedback and
// applies the labels that waited for them; s.mu is held.
func (s *Service) observe(ctx context.Context, stream string) {
	r := s.open[stream]
	if r == nil {
		return
	}
	delete(s.open, stream)
	defer func() {
		for _, f := range r.deferred {
			if err := s.feedback(ctx, f); err != nil {
				s.o.log.Debug("metalearn: feedback refused", "stream", f.Stream, "analyser", f.Analyser, "rule", f.Rule, "err", err)
			}
		}
	}()
	if err := s.l.Observe(r.observation(s.o.clock())); err != nil {
		s.c.ObserveErrors++
		s.o.log.Warn("metalearn: observation refused", "stream", stream, "err", err)
		return
	}
	s.c.Observed++
	s.remember(stream, &remembered{tenant: r.tenant, model: r.model, verdicts: r.verdicts})
}

func (s *Service) remember(stream string, m *remembered) {
	if len(s.order) < s.o.remember {
		s.order = append(s.order, stream)
	} else {
		delete(s.remembered, s.order[s.orderNext])
		s.order[s.orderNext] = stream
		s.orderNext = (s.orderNext + 1) % s.o.remember
	}
	s.remembered[stream] = m
}

func (s *Service) handleFeedback(ctx context.Context, m jetstream.Msg) {
	f, err := wire.DecodeFeedback(m.Headers().Get(wire.HeaderSchema), m.Data())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Feedback++
	if err != nil {
		s.c.InvalidFeedback++
		s.deadLetter(ctx, m, "", err)
		return
	}
	if err := s.feedback(ctx, f); err != nil {
		s.o.log.Debug("metalearn: feedback refused", "stream", f.Stream, "analyser", f.Analyser, "rule", f.Rule, "err", err)
	}
}

// feedback applies one label; s.mu is held.
func (s *Service) feedback(ctx context.Context, f *wire.Feedback) error {
	if r := s.open[f.Stream]; r != nil {
		if !r.has(f.Analyser, f.Rule) && len(r.deferred) < maxDeferred {
			// The verdict it labels has not arrived yet (the consumers run independently):
			// hold the label back until it does, or for deferFor at most.
			if len(r.deferred) == 0 {
				r.deferredSince = s.o.clock()
			}
			r.deferred = append(r.deferred, f)
			s.c.Deferred++
			return nil
		}
		// The label's response is still buffered: observe it now, with what has arrived.
		s.observe(ctx, f.Stream)
	}
	rule := f.Rule
	mem := s.remembered[f.Stream]
	if rule == "" && mem != nil {
		// A label without a rule means the analyser's only rule on that response.
		for _, v := range mem.verdicts {
			if v.Analyser == f.Analyser {
				if rule != "" && rule != v.Rule {
					rule = ""
					break
				}
				rule = v.Rule
			}
		}
	}
	if rule == "" {
		rule = "-"
	}
	err := s.l.Feedback(&learn.Feedback{Stream: f.Stream, Analyser: f.Analyser, Rule: rule, Label: learn.Label(f.Label), Time: s.o.clock()})
	switch {
	case err == nil:
		s.c.LabelsAccepted++
	case errors.Is(err, learn.ErrUnknownStream):
		s.c.UnknownStream++
	case errors.Is(err, learn.ErrUnknownRule):
		s.c.UnknownRule++
	case errors.Is(err, learn.ErrDuplicateLabel):
		s.c.Duplicate++
	case errors.Is(err, learn.ErrFlood):
		s.c.Flood++
	case errors.Is(err, learn.ErrCapacity):
		s.c.CapacityFeedback++
	default:
		s.c.InvalidFeedback++
	}
	if err != nil {
		s.processPending(ctx)
		s.persistAudit(ctx)
		return err
	}
	if mem == nil {
		// The learner still knows the stream but this service has forgotten it (its memory is
		// the same size, but the two forget independently): nothing to record.
		s.processPending(ctx)
		s.persistAudit(ctx)
		return nil
	}
	if v, ok := mem.find(f.Analyser, rule); ok {
		rec := record{stream: f.Stream, score: v.Score, flagged: v.Flagged, label: learn.Label(f.Label)}
		for _, t := range s.targets {
			if t.rk.Analyser != f.Analyser || t.rk.Rule != rule || t.spec.Tenant != "" && t.spec.Tenant != mem.tenant ||
				t.spec.Model != "" && t.spec.Model != mem.model {
				continue
			}
			s.records[t.lk].put(rec)
			// The live outcome: was the analyser's decision right, by this label?
			u := -1.0
			if rec.flagged == rec.violating() {
				u = 1
			}
			if _, err := s.l.Outcome(t.lk, u); err != nil {
				s.o.log.Warn("metalearn: outcome", "key", t.lk, "err", err)
			}
		}
	}
	s.processPending(ctx)
	s.persistAudit(ctx)
	return nil
}

// Evaluate is the shadow evaluator of one target: the utility of labelled record i under cfg is
// +1 when the decision the threshold in cfg makes on the recorded score (flag at score >=
// threshold for Direction +1, <= for -1) agrees with the label (flagged and a true positive or
// false negative, not flagged and a false positive or true negative), -1 otherwise.
func evaluator(t *target, recs []record) learn.Evaluator {
	return func(cfg learn.Config, i int) (float64, error) {
		th := cfg.Number(t.lk, t.spec.Default)
		r := &recs[i]
		flag := r.score >= th
		if t.spec.Direction < 0 {
			flag = r.score <= th
		}
		if flag == r.violating() {
			return 1, nil
		}
		return -1, nil
	}
}

// processPending handles the learner's pending proposals in auto mode; s.mu is held.
func (s *Service) processPending(ctx context.Context) {
	if s.o.mode != ModeAuto {
		return
	}
	for _, p := range s.l.Pending() {
		t := s.byKey[p.Mod.Key]
		if t == nil || p.Mod.Rollback || p.Mod.Level >= 3 || p.Mod.Level == 0 {
			// Meta-policy changes and pattern library entries change no analyser decision, so
			// shadow evaluation has nothing to compare; rollbacks restore a value that passed.
			_, _ = s.apply(ctx, p.ID)
			continue
		}
		recs := s.records[t.lk].recs
		if len(recs) < s.o.minShadow {
			continue // wait for labels
		}
		res, err := s.l.Shadow(p.ID, len(recs), evaluator(t, recs), s.o.margin)
		if err != nil {
			s.o.log.Warn("metalearn: shadow evaluation", "proposal", p.ID, "err", err)
			continue
		}
		if res.Accept {
			_, _ = s.apply(ctx, p.ID)
		}
	}
}

// apply applies a pending proposal and writes it to ms_config; s.mu is held.
func (s *Service) apply(ctx context.Context, id uint64) (learn.Proposal, error) {
	p, err := s.l.Proposal(id)
	if err != nil {
		return p, err
	}
	kvKey, err := LearnerToKV(p.Mod.Key)
	if err != nil {
		return p, err
	}
	if t := s.byKey[p.Mod.Key]; t != nil && p.Status == learn.StatusPending {
		// Refuse to overwrite a value someone else wrote since the learner last saw it.
		if cur := s.currentNumber(ctx, kvKey, t.spec.Default); p.Mod.Old.Kind == learn.KindNumber && cur != p.Mod.Old.Num {
			s.c.ExternalChanges++
			reason := fmt.Sprintf("%s holds %g in %s, the proposal was made against %g", kvKey, cur, bus.BucketConfig, p.Mod.Old.Num)
			_ = s.l.Reject(id, reason)
			s.persistAudit(ctx)
			return p, fmt.Errorf("%w: %s", ErrExternalChange, reason)
		}
	}
	ap, err := s.l.Apply(id)
	if err != nil {
		s.persistAudit(ctx)
		return ap, err
	}
	s.unsynced[ap.Revision] = true
	s.resync(ctx, ap.Revision)
	s.persistAudit(ctx)
	return ap, nil
}

// resync writes the value revision rev produced to ms_config; s.mu is held. A failed write is
// retried on the next sweep.
func (s *Service) resync(ctx context.Context, rev uint64) {
	var mod *learn.Modification
	for _, p := range s.l.Proposals() {
		if p.Revision == rev && (p.Status == learn.StatusApplied || p.Status == learn.StatusRolledBack) {
			m := p.Mod
			mod = &m
			break
		}
	}
	if mod == nil {
		delete(s.unsynced, rev)
		return
	}
	kvKey, err := LearnerToKV(mod.Key)
	if err != nil {
		delete(s.unsynced, rev)
		return
	}
	// Write the key's current value, which is this revision's unless a later one changed it.
	v := s.l.Config().Get(mod.Key)
	var kvr uint64
	switch v.Kind {
	case learn.KindNumber:
		kvr, err = s.cfgKV.Put(ctx, kvKey, []byte(strconv.FormatFloat(v.Num, 'g', -1, 64)))
	case learn.KindText:
		kvr, err = s.cfgKV.Put(ctx, kvKey, []byte(v.Text))
	default:
		err = s.cfgKV.Delete(ctx, kvKey)
		if err == nil {
			var e jetstream.KeyValueEntry
			if e, err = s.cfgKV.Get(ctx, kvKey); errors.Is(err, jetstream.ErrKeyNotFound) {
				err = nil
			} else if e != nil {
				kvr = e.Revision()
			}
		}
	}
	if err != nil {
		s.c.KVErrors++
		s.o.log.Error("metalearn: write ms_config", "key", kvKey, "revision", rev, "err", err)
		return
	}
	s.kvRev[rev] = kvr
	delete(s.unsynced, rev)
}
