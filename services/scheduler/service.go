package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// Service moves chunks from CHUNKS to WORK through a pkg/sched scheduler. Create it with New
// and run it with Run.
type Service struct {
	o      options
	nc     *nats.Conn
	js     jetstream.JetStream
	pub    *bus.Publisher
	s      *sched.Scheduler[*pending]
	tracer trace.Tracer
	log    *slog.Logger
	m      metrics
	c      counters

	parts []*partState

	// mu guards queued: every chunk handed to the scheduler and not yet dispatched, by
	// response and seq, so that a redelivery finds its queued original and progress
	// acknowledgements keep queued chunks from being redelivered.
	mu     sync.Mutex
	queued map[qkey]*pending

	jobs chan job      // published messages awaiting their JetStream acknowledgement
	kick chan struct{} // wakes the dispatcher after a configuration change

	// budgets caches each class's default deadline budget (the hot path must not copy the
	// whole configuration).
	budgets atomic.Pointer[[sched.NumClasses]time.Duration]
	// base is the configuration from flags/options: what deleting scheduler.config restores.
	base sched.Config
	// cfgMu serialises configuration changes from the KV watch and the micro endpoint.
	cfgMu sync.Mutex
	kv    atomic.Pointer[jetstream.KeyValue]
}

type qkey struct {
	stream string
	seq    uint64
}

// partState holds the responses of one partition; the partition's consume callback is its
// only writer apart from the idle sweep.
type partState struct {
	mu      sync.Mutex
	streams map[string]*respState
}

// respState is what the service remembers of a response beyond the scheduler.
type respState struct {
	meta     meta
	rejected bool
	reason   string // admission's reason, for rejected responses
	closed   bool   // its final chunk has been handled
	finalSeq uint64
	seen     time.Time
}

// pending is one chunk inside the service: the scheduler's payload.
type pending struct {
	part       int
	stream     string
	seq        uint64
	tenant     string
	final      bool
	structural bool // chunk 0 or the final chunk: never shed (see docs/services/scheduler.md)
	recv       time.Time
	enq        time.Time
	msg        jetstream.Msg // guarded by Service.mu: a redelivery replaces it
	touched    time.Time     // last progress acknowledgement, guarded by Service.mu
}

// New creates the service on nc. It does not touch the bus until Run.
func New(nc *nats.Conn, opts ...Option) (*Service, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	o.fill()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	// The publish window stays wide (bus default 4096): under a loaded server the ack latency
	// is long, and a narrow window would cap WORK throughput at window/latency.
	pub, err := bus.NewPublisher(nc, bus.WithAckTimeout(o.publishWait))
	if err != nil {
		return nil, err
	}
	s, err := sched.New[*pending](o.cfg)
	if err != nil {
		return nil, &ConfigError{Key: "initial", Err: err}
	}
	svc := &Service{
		o: o, nc: nc, js: js, pub: pub, s: s,
		tracer: o.tp.Tracer("github.com/midstream/midstream/services/scheduler"),
		log:    o.log.With("service", Name),
		parts:  make([]*partState, o.partitions),
		queued: map[qkey]*pending{},
		jobs:   make(chan job, 8192),
		kick:   make(chan struct{}, 1),
		base:   s.Config(),
	}
	for i := range svc.parts {
		svc.parts[i] = &partState{streams: map[string]*respState{}}
	}
	svc.cacheBudgets(svc.base)
	if err := svc.m.init(o.mp.Meter("github.com/midstream/midstream/services/scheduler"), svc); err != nil {
		return nil, err
	}
	return svc, nil
}

func (s *Service) cacheBudgets(c sched.Config) {
	var b [sched.NumClasses]time.Duration
	for i := range b {
		b[i] = c.Classes[i].Budget
	}
	s.budgets.Store(&b)
}

// Run consumes CHUNKS, dispatches to WORK, watches ms_config and serves the micro endpoints
// until ctx ends. Queued chunks are not shed at shutdown: they stay unacknowledged in CHUNKS
// and the next pinned replica schedules them again.
func (s *Service) Run(ctx context.Context) error {
	ms, err := s.AddMicro(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = ms.Stop() }()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup
	start := func(f func(context.Context)) {
		bg.Add(1)
		go func() { defer bg.Done(); f(ctx) }()
	}
	start(s.watchConfig)
	start(s.heartbeat)
	start(s.sweep)
	if s.o.costInterval > 0 {
		start(s.probeCost)
	}
	ackDone := make(chan struct{})
	go func() { defer close(ackDone); s.acker(ctx) }()
	dispDone := make(chan struct{})
	go func() { defer close(dispDone); s.dispatch(ctx) }()

	err = s.consume(ctx)
	cancel()
	<-dispDone
	close(s.jobs)
	<-ackDone
	bg.Wait()
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer fcancel()
	_ = s.pub.Close(fctx)
	return err
}

// consume runs one durable, pinned consumer per partition until ctx ends. The callbacks only
// submit to the scheduler: a chunk is acknowledged later, once its WORK item or shed verdict
// is stored.
func (s *Service) consume(ctx context.Context) error {
	cc := bus.ConsumeConfig{Service: Name, Stream: bus.StreamChunks, Partitions: s.o.partitions,
		AckWait: s.o.ackWait, MaxAckPending: s.o.maxAckPending, MaxDeliver: s.o.maxDeliver, Logger: s.log}
	parts := s.o.only
	if len(parts) == 0 {
		for p := range s.o.partitions {
			parts = append(parts, p)
		}
	}
	var wg sync.WaitGroup
	var ccs []jetstream.ConsumeContext
	stop := func() {
		for _, c := range ccs {
			c.Stop()
		}
		for _, c := range ccs {
			<-c.Closed()
		}
		wg.Wait()
	}
	for _, p := range parts {
		conf, err := cc.ConsumerConfig(p)
		if err != nil {
			stop()
			return err
		}
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		cons, err := s.js.CreateOrUpdateConsumer(sctx, bus.StreamChunks, conf)
		scancel()
		if err != nil {
			stop()
			return fmt.Errorf("scheduler: consumer %s: %w", conf.Durable, err)
		}
		part := p
		c, err := cons.Consume(func(m jetstream.Msg) {
			wg.Add(1)
			defer wg.Done()
			if ctx.Err() != nil {
				return // left unacknowledged: redelivered to the next replica
			}
			s.handle(ctx, part, m)
		}, jetstream.PullPriorityGroup(bus.PriorityGroup), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoHeartbeat) {
				s.log.Debug("consume", "consumer", conf.Durable, "err", err)
			}
		}))
		if err != nil {
			stop()
			return fmt.Errorf("scheduler: consume %s: %w", conf.Durable, err)
		}
		ccs = append(ccs, c)
	}
	s.log.Info("scheduler consuming", "partitions", len(parts), "policy", s.s.Config().Policy.String())
	<-ctx.Done()
	stop()
	return nil
}

// handle takes one CHUNKS message of partition p: validate what scheduling needs, open the
// response on its first chunk, and submit.
func (s *Service) handle(ctx context.Context, p int, m jetstream.Msg) {
	now := time.Now()
	hdr := m.Headers()
	info, _ := wire.ParseSubject(m.Subject())
	if err := wire.CheckSchema(hdr.Get(wire.HeaderSchema), wire.SchemaChunk); err != nil {
		s.deadLetter(ctx, m, info.Stream, err)
		return
	}
	f, err := decodeFields(m.Subject(), m.Data(), info.Stream)
	if err != nil {
		s.deadLetter(ctx, m, info.Stream, err)
		return
	}
	seq := *f.Seq
	ps := s.parts[p]
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st := ps.streams[f.Stream]
	if st != nil && st.closed {
		if seq <= st.finalSeq {
			s.c.duplicates.Add(1)
			_ = m.Ack()
			return
		}
		st = nil // the stream id was reused after its final chunk: a new response
	}
	if st == nil {
		st = s.open(ctx, f, m.Subject())
		ps.streams[f.Stream] = st
	}
	st.seen = now
	if f.Final {
		st.closed, st.finalSeq = true, seq
	}
	pd := &pending{part: p, stream: f.Stream, seq: seq, tenant: st.meta.tenant, final: f.Final,
		structural: seq == 0 || f.Final, enq: now, msg: m, touched: now}
	pd.recv = receivedAt(hdr.Get(wire.HeaderReceived), now)
	if st.rejected {
		s.direct(ctx, pd, st.meta.class, "rejected", st.reason, now)
		return
	}
	key := qkey{f.Stream, seq}
	s.mu.Lock()
	if old := s.queued[key]; old != nil {
		// A redelivery of a chunk still queued (its ack wait ran out): acknowledge the newest
		// delivery when it is released.
		old.msg, old.touched = m, now
		s.mu.Unlock()
		s.c.duplicates.Add(1)
		return
	}
	s.queued[key] = pd
	s.mu.Unlock()

	var deadline time.Time
	budget := st.meta.deadline
	if budget == 0 {
		budget = s.budgets.Load()[st.meta.class]
	}
	if budget > 0 {
		deadline = pd.recv.Add(budget)
	}
	err = s.s.SubmitAt(now, sched.Item[*pending]{Stream: f.Stream, Seq: seq, Tenant: st.meta.tenant, Class: st.meta.class,
		Deadline: deadline, Final: f.Final, Payload: pd})
	if err == nil {
		return
	}
	s.mu.Lock()
	delete(s.queued, key)
	s.mu.Unlock()
	var rej *sched.RejectedError
	switch {
	case errors.Is(err, sched.ErrOutOfOrder):
		// Already released or shed: this is a redelivery whose record is stored or on its way.
		s.c.duplicates.Add(1)
		_ = m.Ack()
	case errors.Is(err, sched.ErrDuplicate):
		s.c.duplicates.Add(1)
	case errors.As(err, &rej):
		// The scheduler closed the response (idle) and admission refused to reopen it.
		st.rejected, st.reason = true, rej.Admission.Reason
		s.direct(ctx, pd, st.meta.class, "rejected", rej.Admission.Reason, now)
	case errors.Is(err, sched.ErrQueueFull):
		if f.Final && seq > 0 {
			// Forwarding it now would overtake its queued predecessors; wait for room.
			s.c.queueFull.Add(1)
			_ = m.NakWithDelay(time.Second)
			if st.closed && st.finalSeq == seq {
				st.closed = false
			}
			return
		}
		s.c.queueFull.Add(1)
		s.direct(ctx, pd, st.meta.class, "queue_full", err.Error(), now)
	default:
		s.log.Error("chunk not schedulable; recorded as shed", "stream", f.Stream, "seq", seq, "err", err)
		s.direct(ctx, pd, st.meta.class, "invalid", err.Error(), now)
	}
}

// open starts the service's record of a response and asks admission control.
func (s *Service) open(ctx context.Context, f fields, subject string) *respState {
	var probs [4]problem
	var md meta
	var ps []problem
	if *f.Seq == 0 {
		md, ps = parseMeta(f.Meta, probs[:0])
	} else {
		md, ps = s.recoverMeta(ctx, subject, probs[:0])
	}
	for _, pr := range ps {
		s.c.badInput(pr.kind)
		s.log.Warn("bad response metadata; default used", "stream", f.Stream, "problem", pr.kind, "detail", pr.detail)
	}
	st := &respState{meta: md}
	spec := sched.Response{Stream: f.Stream, Tenant: md.tenant, Class: md.class}
	adm, err := s.s.Open(spec)
	if err != nil && md.tenant != "" {
		// The tenant table is full or the name unusable: schedule under the default tenant.
		s.log.Warn("tenant not schedulable; default tenant used", "stream", f.Stream, "tenant", truncate(md.tenant, 64), "err", err)
		s.c.badInput("bad_tenant")
		st.meta.tenant, spec.Tenant = "", ""
		adm, err = s.s.Open(spec)
	}
	if err != nil {
		s.log.Error("response not opened; its chunks open it on submit", "stream", f.Stream, "err", err)
		return st
	}
	switch adm.Decision {
	case sched.Degrade:
		s.log.Info("response degraded by admission control", "stream", f.Stream, "from", md.class.String(), "to", adm.Class.String(), "reason", adm.Reason)
		st.meta.class = adm.Class
	case sched.Reject:
		s.log.Info("response rejected by admission control; its chunks are shed", "stream", f.Stream, "class", md.class.String(), "reason", adm.Reason)
		st.rejected, st.reason = true, adm.Reason
	}
	return st
}

// recoverMeta reads a response's chunk 0 from CHUNKS when the service meets the response
// mid-way (a restart or a partition moving between replicas), so that it keeps its class.
func (s *Service) recoverMeta(ctx context.Context, subject string, dst []problem) (meta, []problem) {
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	str, err := s.js.Stream(gctx, bus.StreamChunks)
	if err == nil {
		var raw *jetstream.RawStreamMsg
		raw, err = str.GetMsg(gctx, 1, jetstream.WithGetMsgSubject(subject))
		if err == nil {
			var f fields
			f, err = decodeFields(subject, raw.Data, "")
			if err == nil && *f.Seq == 0 {
				s.c.recovered.Add(1)
				return parseMeta(f.Meta, dst)
			}
		}
	}
	return meta{class: sched.Normal}, append(dst, problem{"missing_meta", "chunk 0 not found for a response met mid-way; class normal"})
}

// deadLetter records a message the scheduler cannot schedule and acknowledges it.
func (s *Service) deadLetter(ctx context.Context, m jetstream.Msg, stream string, reason error) {
	s.c.invalid.Add(1)
	s.log.Warn("unschedulable chunk dead-lettered", "subject", m.Subject(), "err", reason)
	dctx, cancel := context.WithTimeout(ctx, s.o.publishWait)
	defer cancel()
	if err := bus.DeadLetter(dctx, s.js, Name, m.Subject(), stream, m.Data(), reason); err != nil {
		s.log.Error("dead letter failed; chunk left for redelivery", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	_ = m.Term()
}

// heartbeat keeps queued chunks from being redelivered while they wait.
func (s *Service) heartbeat(ctx context.Context) {
	every := s.o.ackWait / 3
	t := time.NewTicker(every)
	defer t.Stop()
	var due []jetstream.Msg
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due = due[:0]
			s.mu.Lock()
			for _, pd := range s.queued {
				if now.Sub(pd.touched) >= every {
					pd.touched = now
					due = append(due, pd.msg)
				}
			}
			s.mu.Unlock()
			for _, m := range due {
				_ = m.InProgress()
			}
		}
	}
}

// sweep forgets responses idle for twice the scheduler's idle timeout.
func (s *Service) sweep(ctx context.Context) {
	idle := 2 * s.s.Config().IdleTimeout
	t := time.NewTicker(max(idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, ps := range s.parts {
				ps.mu.Lock()
				for id, st := range ps.streams {
					if now.Sub(st.seen) >= idle {
						delete(ps.streams, id)
					}
				}
				ps.mu.Unlock()
			}
		}
	}
}

// OpenResponses is the number of responses the service currently remembers.
func (s *Service) OpenResponses() int {
	n := 0
	for _, ps := range s.parts {
		ps.mu.Lock()
		n += len(ps.streams)
		ps.mu.Unlock()
	}
	return n
}
