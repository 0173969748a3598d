package analysistest

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Harness is one analyser running on an embedded bus, with what it published so far.
type Harness struct {
	T   testing.TB
	Env *bustest.Env
	// KV is the ms_config bucket.
	KV jetstream.KeyValue

	name       string
	partitions int
	settleMax  time.Duration

	vch, ach chan *nats.Msg
	mu       sync.Mutex
	verdicts map[string][]wire.Verdict
	actions  map[string][]wire.Action
}

type options struct {
	partitions int
	idle       time.Duration
	settle     time.Duration
	setup      func(ctx context.Context, env *bustest.Env) error
}

// Option configures Start.
type Option func(*options)

// WithPartitions sets the topology's partition count (default 2).
func WithPartitions(n int) Option { return func(o *options) { o.partitions = n } }

// WithIdleTimeout sets the runner's idle timeout (default one hour: sessions end only at
// their final chunk).
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idle = d } }

// WithSettleTimeout bounds Settle's wait for the acknowledgements (default 30 s).
func WithSettleTimeout(d time.Duration) Option { return func(o *options) { o.settle = d } }

// WithSetup runs f after the bus is up and before the runner starts, e.g. to seed ms_config
// keys that the runner then applies before the first chunk.
func WithSetup(f func(ctx context.Context, env *bustest.Env) error) Option {
	return func(o *options) { o.setup = f }
}

// Start runs a under the name name with Source CHUNKS until the test ends; the runner's log is
// discarded. Verdicts of name and all actions are recorded.
func Start(t testing.TB, name string, a analysis.Analyser, opts ...Option) *Harness {
	t.Helper()
	o := options{partitions: 2, idle: time.Hour, settle: 30 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	env := bustest.Start(t, bus.Topology{Partitions: o.partitions})
	ctx := context.Background()
	h := &Harness{T: t, Env: env, name: name, partitions: o.partitions, settleMax: o.settle,
		vch: make(chan *nats.Msg, 1<<16), ach: make(chan *nats.Msg, 1<<12),
		verdicts: map[string][]wire.Verdict{}, actions: map[string][]wire.Action{}}
	var err error
	if h.KV, err = env.JS.KeyValue(ctx, bus.BucketConfig); err != nil {
		t.Fatal(err)
	}
	if o.setup != nil {
		if err := o.setup(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := env.NC.ChanSubscribe(wire.VerdictSubject(name, "*"), h.vch)
	if err != nil {
		t.Fatal(err)
	}
	as, err := env.NC.ChanSubscribe(wire.ActionWildcard, h.ach)
	if err != nil {
		t.Fatal(err)
	}
	r, err := analysis.New(env.NC, analysis.Config{Name: name, Source: bus.StreamChunks, Partitions: o.partitions,
		IdleTimeout: o.idle, Logger: slog.New(slog.DiscardHandler)}, a)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && rctx.Err() == nil {
			t.Error(err)
		}
		_ = vs.Unsubscribe()
		_ = as.Unsubscribe()
	})
	return h
}

// Put stores value under the analyser's key "<name>.<key>".
func (h *Harness) Put(key string, value []byte) {
	h.T.Helper()
	if _, err := h.KV.Put(context.Background(), analysis.ConfigKey(h.name, key), value); err != nil {
		h.T.Fatal(err)
	}
}

// PutJSON stores the JSON encoding of v under "<name>.<key>".
func (h *Harness) PutJSON(key string, v any) {
	h.T.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		h.T.Fatal(err)
	}
	h.Put(key, b)
}

// Publish publishes c to CHUNKS as the ingest does: with its schema, the receive time
// (Ms-Received, now) and the deduplication id of (stream, seq).
func (h *Harness) Publish(c wire.Chunk) {
	h.T.Helper()
	m := nats.NewMsg(wire.InSubject(c.Stream))
	var err error
	if m.Data, err = json.Marshal(c); err != nil {
		h.T.Fatal(err)
	}
	m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
	m.Header.Set(wire.HeaderMsgID, wire.MsgID(c.Stream, c.Seq))
	m.Header.Set(wire.HeaderReceived, strconv.FormatInt(time.Now().UnixNano(), 10))
	if _, err := h.Env.JS.PublishMsg(context.Background(), m); err != nil {
		h.T.Fatal(err)
	}
}

// Send publishes a whole response: chunk i gets seq i and, unless it has a time, now + gap*i;
// chunk 0 gets meta; the last one is Final, with FinishReason "stop" unless it has one.
func (h *Harness) Send(stream string, meta *wire.Meta, chunks []wire.Chunk, gap time.Duration) {
	h.T.Helper()
	t0 := time.Now().UTC()
	for i := range chunks {
		c := chunks[i]
		c.Stream, c.Seq = stream, uint64(i)
		if c.Time.IsZero() {
			c.Time = t0.Add(time.Duration(i) * gap)
		}
		if i == 0 {
			c.Meta = meta
		}
		if i == len(chunks)-1 {
			c.Final = true
			if c.FinishReason == "" {
				c.FinishReason = "stop"
			}
		}
		h.Publish(c)
	}
}

// Settle waits until the runner has acknowledged every chunk published so far (it publishes
// a chunk's findings and waits for their storage before acknowledging it), then collects what
// was published. It polls the consumers; it does not sleep.
func (h *Harness) Settle() {
	h.T.Helper()
	ctx := context.Background()
	bustest.Eventually(h.T, h.settleMax, func() bool {
		for p := range h.partitions {
			c, err := h.Env.JS.Consumer(ctx, bus.StreamChunks, bus.ConsumerName(h.name, p))
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			if err != nil || info.NumPending != 0 || info.NumAckPending != 0 {
				return false
			}
		}
		return true
	}, "chunks not all analysed")
	// A round trip on the subscribing connection: everything the server routed before the
	// acknowledgements is now in the channels.
	if err := h.Env.NC.Flush(); err != nil {
		h.T.Fatal(err)
	}
	h.Collect()
}

// Collect moves what has arrived so far into the per-response records, without waiting.
func (h *Harness) Collect() {
	h.T.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		select {
		case m := <-h.vch:
			v, err := wire.DecodeVerdict(m.Header.Get(wire.HeaderSchema), m.Data)
			if err != nil {
				h.T.Fatal(err)
			}
			h.verdicts[v.Stream] = append(h.verdicts[v.Stream], *v)
		case m := <-h.ach:
			a, err := wire.DecodeAction(m.Header.Get(wire.HeaderSchema), m.Data)
			if err != nil {
				h.T.Fatal(err)
			}
			h.actions[a.Stream] = append(h.actions[a.Stream], *a)
		default:
			return
		}
	}
}

// Verdicts returns a copy of the verdicts collected for stream, in arrival order.
func (h *Harness) Verdicts(stream string) []wire.Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]wire.Verdict(nil), h.verdicts[stream]...)
}

// Actions returns a copy of the actions collected for stream, in arrival order.
func (h *Harness) Actions(stream string) []wire.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]wire.Action(nil), h.actions[stream]...)
}

// All returns copies of everything collected, by response.
func (h *Harness) All() (map[string][]wire.Verdict, map[string][]wire.Action) {
	h.mu.Lock()
	defer h.mu.Unlock()
	vs := make(map[string][]wire.Verdict, len(h.verdicts))
	for k, v := range h.verdicts {
		vs[k] = append([]wire.Verdict(nil), v...)
	}
	as := make(map[string][]wire.Action, len(h.actions))
	for k, a := range h.actions {
		as[k] = append([]wire.Action(nil), a...)
	}
	return vs, as
}
