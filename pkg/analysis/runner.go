package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Config configures a Runner.
type Config struct {
	// Name is the analyser's name: the verdict subject token, the consumer name prefix and
	// the prefix of its keys in ms_config. Required; [A-Za-z0-9_-].
	Name string
	// Source is the stream to read: bus.StreamWork (default), or bus.StreamChunks to analyse
	// without a scheduler.
	Source string
	// Partitions is the topology's partition count (default 16); Only limits this replica.
	Partitions int
	Only       []int
	// IdleTimeout ends a session that received nothing for this long; default 2 minutes.
	IdleTimeout time.Duration
	// MaxSessions bounds the open sessions of this replica; beyond it the least recently
	// active one is ended (EndEvicted). Default 100000.
	MaxSessions int
	// PublishTimeout bounds the wait for the acknowledgement of emitted verdicts; default 10s.
	PublishTimeout time.Duration
	// Consume tunes the consumers (AckWait, MaxAckPending, MaxDeliver, PinnedTTL); its Service,
	// Stream, Partitions and Only fields are set from this Config.
	Consume bus.ConsumeConfig
	// Logger, TracerProvider and MeterProvider default to slog.Default and the OTel globals.
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	if err := wire.ValidateToken("analyser name", c.Name); err != nil {
		return err
	}
	if c.Source == "" {
		c.Source = bus.StreamWork
	}
	if c.Source != bus.StreamWork && c.Source != bus.StreamChunks {
		return fmt.Errorf("analysis: source %q is neither %s nor %s", c.Source, bus.StreamWork, bus.StreamChunks)
	}
	if c.Partitions == 0 {
		c.Partitions = bus.DefaultPartitions
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 100000
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.Partitions < 1 || c.IdleTimeout < 0 || c.MaxSessions < 1 || c.PublishTimeout < 0 {
		return errors.New("analysis: partitions, idle timeout, max sessions and publish timeout must be positive")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Runner runs one Analyser over its partitions.
type Runner struct {
	cfg    Config
	a      Analyser
	nc     *nats.Conn
	js     jetstream.JetStream
	pub    *bus.Publisher
	parts  []*partition
	tracer trace.Tracer
	m      runnerMetrics
	log    *slog.Logger
}

// partition holds the sessions of one partition. Its handler runs one chunk at a time; the
// mutex only orders it against the idle sweeper.
type partition struct {
	mu       sync.Mutex
	sessions map[string]*entry
	// ended remembers recently finished responses so that a redelivered chunk of one does not
	// start a new session; entries expire after twice the idle timeout.
	ended map[string]time.Time
	em    Emitter
}

type entry struct {
	s    Session
	last uint64 // highest seq observed
	seen time.Time
	// unsent holds findings whose publication failed; they are retried when the chunk that
	// produced them is redelivered, so a verdict is never lost to a publish error.
	unsent []*nats.Msg
}

// New creates a runner of a on nc.
func New(nc *nats.Conn, cfg Config, a Analyser) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	pub, err := bus.NewPublisher(nc, bus.WithAckTimeout(cfg.PublishTimeout))
	if err != nil {
		return nil, err
	}
	r := &Runner{
		cfg: cfg, a: a, nc: nc, js: js, pub: pub,
		tracer: cfg.TracerProvider.Tracer("github.com/midstream/midstream/pkg/analysis"),
		log:    cfg.Logger.With("analyser", cfg.Name),
	}
	r.parts = make([]*partition, cfg.Partitions)
	for i := range r.parts {
		r.parts[i] = &partition{sessions: map[string]*entry{}, ended: map[string]time.Time{}}
		r.parts[i].em.analyser = cfg.Name
	}
	if err := r.m.init(cfg.MeterProvider.Meter("github.com/midstream/midstream/pkg/analysis"), cfg.Name, r.openSessions); err != nil {
		return nil, err
	}
	return r, nil
}

// Run applies the analyser's current ms_config keys (if it is Configurable), then consumes
// until ctx ends. It returns an error only if consumption cannot be set up.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The current configuration is applied before the first chunk is consumed, so the first
	// responses already run under it; the same watcher then delivers the changes.
	if conf, ok := r.a.(Configurable); ok {
		if w := r.loadConfig(ctx, conf); w != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.watchConfig(ctx, conf, w)
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.sweep(ctx)
	}()
	cc := r.cfg.Consume
	cc.Service, cc.Stream, cc.Partitions, cc.Only, cc.Logger = r.cfg.Name, r.cfg.Source, r.cfg.Partitions, r.cfg.Only, r.log
	err := bus.Consume(ctx, r.js, cc, r.handle)
	cancel()
	return err
}

func (r *Runner) handle(ctx context.Context, p int, m jetstream.Msg) error {
	hdr := m.Headers()
	c, err := wire.DecodeChunk(hdr.Get(wire.HeaderSchema), m.Data())
	if err != nil {
		r.m.invalid.Add(ctx, 1, r.m.attrs)
		info, _ := wire.ParseSubject(m.Subject())
		r.log.Warn("invalid chunk dead-lettered", "subject", m.Subject(), "stream", info.Stream, "err", err)
		return bus.DeadLetter(ctx, r.js, r.cfg.Name, m.Subject(), info.Stream, m.Data(), err)
	}
	part := r.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	now := r.cfg.Now()
	if _, done := part.ended[c.Stream]; done {
		r.m.duplicates.Add(ctx, 1, r.m.attrs)
		return nil
	}
	e := part.sessions[c.Stream]
	if e != nil && c.Seq <= e.last {
		if c.Seq == e.last && len(e.unsent) > 0 {
			return r.publish(ctx, e, hdr)
		}
		r.m.duplicates.Add(ctx, 1, r.m.attrs)
		return nil
	}
	ctx = telemetry.Extract(ctx, hdr)
	// A span only for chunks that carry a trace (see telemetry.Traced): rooting a trace per
	// untraced chunk would cost a span's allocations on every chunk for traces nobody asked for.
	span := trace.SpanFromContext(ctx) // non-recording when untraced
	if telemetry.Traced(ctx) {
		ctx, span = r.tracer.Start(ctx, r.cfg.Name+" analyse", trace.WithAttributes(
			telemetry.AttrStream.String(c.Stream), telemetry.AttrSeq.Int64(int64(c.Seq)), telemetry.AttrPartition.Int(p),
			telemetry.AttrGuardrailComponentName.String(r.cfg.Name)))
		defer span.End()
	}
	if e == nil {
		if len(part.sessions) >= r.cfg.MaxSessions/len(r.parts)+1 {
			r.evictOldest(ctx, part)
		}
		e = &entry{s: r.a.Start(c.Stream, c.Meta)}
		part.sessions[c.Stream] = e
	}
	em := &part.em
	em.reset(c.Stream, c.Seq, now)
	start := time.Now()
	oerr := e.s.Observe(ctx, c, em)
	r.m.duration.Record(ctx, time.Since(start).Seconds(), r.m.attrs)
	r.m.chunks.Add(ctx, 1, r.m.attrs)
	e.last, e.seen = c.Seq, now
	if oerr != nil {
		// The session saw the chunk; analysing it again would double-count. Record it instead.
		r.m.errors.Add(ctx, 1, r.m.attrs)
		span.RecordError(oerr)
		r.log.Error("analysis failed; chunk dead-lettered", "stream", c.Stream, "seq", c.Seq, "err", oerr)
		if err := bus.DeadLetter(ctx, r.js, r.cfg.Name, m.Subject(), c.Stream, m.Data(), oerr); err != nil {
			r.log.Error("dead letter failed", "stream", c.Stream, "err", err)
		}
	}
	e.unsent = r.collect(ctx, em, hdr, "o")
	if c.Final {
		em.reset(c.Stream, c.Seq, now)
		e.s.End(ctx, EndFinal, em)
		e.unsent = append(e.unsent, r.collect(ctx, em, hdr, "f")...)
		delete(part.sessions, c.Stream)
		part.ended[c.Stream] = now
	}
	if err := r.publish(ctx, e, hdr); err != nil {
		span.SetStatus(codes.Error, err.Error())
		if c.Final {
			// Keep the session reachable so the redelivered final chunk republishes.
			delete(part.ended, c.Stream)
			part.sessions[c.Stream] = e
		}
		return err
	}
	return nil
}

// collect turns an emitter's findings into messages with deterministic deduplication ids, so
// that findings re-emitted after a redelivery or a replay are stored once.
func (r *Runner) collect(ctx context.Context, em *Emitter, in nats.Header, tag string) []*nats.Msg {
	var out []*nats.Msg
	recv := in.Get(wire.HeaderReceived)
	for i := range em.verdicts {
		v := &em.verdicts[i]
		if err := v.Validate(); err != nil {
			r.m.errors.Add(ctx, 1, r.m.attrs)
			r.log.Error("analyser emitted an invalid verdict; dropped", "stream", v.Stream, "err", err)
			continue
		}
		msg := r.message(ctx, wire.VerdictSubject(r.cfg.Name, v.Stream), wire.SchemaVerdict, v, recv)
		msg.Header.Set(wire.HeaderMsgID, r.cfg.Name+":"+v.Stream+":"+strconv.FormatUint(em.seq, 10)+":"+tag+"v"+strconv.Itoa(i))
		out = append(out, msg)
	}
	for i := range em.actions {
		a := &em.actions[i]
		msg := r.message(ctx, wire.ActionSubject(a.Stream), wire.SchemaAction, a, recv)
		msg.Header.Set(wire.HeaderMsgID, r.cfg.Name+":"+a.Stream+":"+strconv.FormatUint(em.seq, 10)+":"+tag+"a"+strconv.Itoa(i))
		out = append(out, msg)
	}
	return out
}

func (r *Runner) message(ctx context.Context, subject, schema string, v any, received string) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data, _ = json.Marshal(v) // validated types marshal
	msg.Header.Set(wire.HeaderSchema, schema)
	if received != "" {
		msg.Header.Set(wire.HeaderReceived, received)
	}
	telemetry.Inject(ctx, msg.Header)
	return msg
}

// publish sends e's unsent findings and waits for JetStream to store them.
func (r *Runner) publish(ctx context.Context, e *entry, in nats.Header) error {
	if len(e.unsent) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(e.unsent))
	for _, msg := range e.unsent {
		f, err := r.pub.Publish(ctx, msg, msg.Header.Get(wire.HeaderMsgID))
		if err != nil {
			return err
		}
		futures = append(futures, f)
	}
	received := parseNanos(in.Get(wire.HeaderReceived))
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("analysis: publish %s: %w", e.unsent[i].Subject, err)
		case <-ctx.Done():
			return ctx.Err()
		}
		kind := "verdict"
		if strings.HasPrefix(e.unsent[i].Subject, "ms.action.") {
			kind = "action"
		}
		r.m.emitted.Add(ctx, 1, metric.WithAttributes(attribute.String("analyser", r.cfg.Name), attribute.String("kind", kind)))
		if !received.IsZero() {
			r.m.inflight.Record(ctx, time.Since(received).Seconds(),
				metric.WithAttributes(attribute.String("analyser", r.cfg.Name), attribute.String("kind", kind)))
		}
	}
	e.unsent = nil
	return nil
}

func parseNanos(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// evictOldest ends the least recently active session of part. The caller holds part.mu.
func (r *Runner) evictOldest(ctx context.Context, part *partition) {
	var oldest string
	var at time.Time
	for id, e := range part.sessions {
		if oldest == "" || e.seen.Before(at) {
			oldest, at = id, e.seen
		}
	}
	if oldest != "" {
		r.m.evicted.Add(ctx, 1, r.m.attrs)
		r.end(ctx, part, oldest, EndEvicted)
	}
}

// end ends one session and publishes what End emits. The caller holds part.mu.
func (r *Runner) end(ctx context.Context, part *partition, id string, why EndReason) {
	e := part.sessions[id]
	em := &part.em
	em.reset(id, e.last, r.cfg.Now())
	e.s.End(ctx, why, em)
	e.unsent = append(e.unsent, r.collect(ctx, em, nil, "e")...)
	delete(part.sessions, id)
	part.ended[id] = r.cfg.Now()
	pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	if err := r.publish(pctx, e, nats.Header{}); err != nil {
		r.log.Error("findings at session end not published", "stream", id, "reason", why, "err", err)
	}
}

// sweep ends idle sessions and forgets old ended ones.
func (r *Runner) sweep(ctx context.Context) {
	t := time.NewTicker(max(r.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.cfg.Now()
		for _, part := range r.parts {
			part.mu.Lock()
			for id, e := range part.sessions {
				if now.Sub(e.seen) >= r.cfg.IdleTimeout {
					r.end(ctx, part, id, EndIdle)
				}
			}
			for id, at := range part.ended {
				if now.Sub(at) >= 2*r.cfg.IdleTimeout {
					delete(part.ended, id)
				}
			}
			part.mu.Unlock()
		}
	}
}

func (r *Runner) openSessions() int64 {
	var n int
	for _, p := range r.parts {
		p.mu.Lock()
		n += len(p.sessions)
		p.mu.Unlock()
	}
	return int64(n)
}
