package analysis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// recorder is an analyser that records what it sees: it flags chunks containing "bad" and
// asks to stop on "stop", and reports the number of chunks it saw when the session ends.
type recorder struct {
	mu       sync.Mutex
	seen     map[string][]uint64
	ends     map[string]analysis.EndReason
	metaSeen map[string]bool
	config   map[string]string
}

func newRecorder() *recorder {
	return &recorder{seen: map[string][]uint64{}, ends: map[string]analysis.EndReason{}, metaSeen: map[string]bool{}, config: map[string]string{}}
}

func (r *recorder) Start(stream string, meta *wire.Meta) analysis.Session {
	r.mu.Lock()
	r.metaSeen[stream] = meta != nil
	r.mu.Unlock()
	return &recSession{r: r, id: stream}
}

func (r *recorder) Configure(name string, value []byte) error {
	if string(value) == "invalid" {
		return fmt.Errorf("bad value")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.config[name] = string(value)
	return nil
}

type recSession struct {
	r  *recorder
	id string
	n  int
}

func (s *recSession) Observe(_ context.Context, c *wire.Chunk, e *analysis.Emitter) error {
	s.r.mu.Lock()
	s.r.seen[s.id] = append(s.r.seen[s.id], c.Seq)
	s.r.mu.Unlock()
	s.n++
	if strings.Contains(c.Text, "bad") {
		e.Verdict(wire.Verdict{Kind: "match", Status: "detected", Confidence: 1})
	}
	if strings.Contains(c.Text, "stop") {
		e.Action(wire.ActionStop, "no-stop", "asked to stop")
	}
	return nil
}

func (s *recSession) End(_ context.Context, why analysis.EndReason, e *analysis.Emitter) {
	s.r.mu.Lock()
	s.r.ends[s.id] = why
	s.r.mu.Unlock()
	e.Verdict(wire.Verdict{Kind: "summary", Status: string(why), Score: float64(s.n)})
}

func publishChunk(t *testing.T, js jetstream.JetStream, c wire.Chunk, msgID string) {
	t.Helper()
	m := nats.NewMsg(wire.InSubject(c.Stream))
	m.Data, _ = json.Marshal(c)
	m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
	m.Header.Set(wire.HeaderReceived, strconv.FormatInt(time.Now().UnixNano(), 10))
	if msgID != "" {
		m.Header.Set(wire.HeaderMsgID, msgID)
	}
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func TestRunnerDeliversInOrderOnceAndPublishes(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 4})
	rec := newRecorder()
	r, err := analysis.New(env.NC, analysis.Config{Name: "test", Source: bus.StreamChunks, Partitions: 4, IdleTimeout: time.Hour}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	verdicts := make(chan *nats.Msg, 1000)
	sub, _ := env.NC.ChanSubscribe("ms.verdict.test.*", verdicts)
	defer sub.Unsubscribe()
	actions := make(chan *nats.Msg, 100)
	asub, _ := env.NC.ChanSubscribe(wire.ActionWildcard, actions)
	defer asub.Unsubscribe()

	t0 := time.Now().UTC()
	const streams, per = 10, 12
	for seq := range per {
		for i := range streams {
			c := wire.Chunk{Stream: "r" + strconv.Itoa(i), Seq: uint64(seq), Time: t0, Text: "fine"}
			if seq == 0 {
				c.Meta = &wire.Meta{Tenant: "t"}
			}
			if seq == 3 {
				c.Text = "bad"
			}
			if seq == 5 && i == 0 {
				c.Text = "stop"
			}
			if seq == per-1 {
				c.Final, c.FinishReason = true, "stop"
			}
			publishChunk(t, env.JS, c, wire.MsgID(c.Stream, c.Seq))
			if seq == 4 {
				// A redelivered copy that JetStream does not deduplicate (another msg id).
				c.Text = "bad"
				publishChunk(t, env.JS, c, "")
			}
		}
	}
	bustest.Eventually(t, 10*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.ends) == streams
	}, "sessions did not all end")
	rec.mu.Lock()
	for i := range streams {
		id := "r" + strconv.Itoa(i)
		got := rec.seen[id]
		if len(got) != per {
			t.Errorf("%s saw %v", id, got)
		}
		for k, s := range got {
			if s != uint64(k) {
				t.Errorf("%s out of order: %v", id, got)
				break
			}
		}
		if rec.ends[id] != analysis.EndFinal || !rec.metaSeen[id] {
			t.Errorf("%s: end %q meta %v", id, rec.ends[id], rec.metaSeen[id])
		}
	}
	rec.mu.Unlock()
	// One "bad" verdict and one summary per stream; the redelivered "bad" copy was skipped.
	got := map[string]int{}
	bustest.Eventually(t, 5*time.Second, func() bool {
		for {
			select {
			case m := <-verdicts:
				v, err := wire.DecodeVerdict(m.Header.Get(wire.HeaderSchema), m.Data)
				if err != nil {
					t.Fatal(err)
				}
				if m.Header.Get(wire.HeaderReceived) == "" {
					t.Fatal("verdict lost Ms-Received")
				}
				got[v.Kind]++
				if v.Kind == "summary" && v.Score != per {
					t.Fatalf("summary %+v", v)
				}
			default:
				return got["match"] == streams && got["summary"] == streams
			}
		}
	}, "verdicts %v", got)
	select {
	case m := <-actions:
		a, err := wire.DecodeAction(m.Header.Get(wire.HeaderSchema), m.Data)
		if err != nil || a.Stream != "r0" || a.Type != wire.ActionStop || a.Seq != 5 {
			t.Fatalf("action %+v %v", a, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no action")
	}
}

func TestRunnerIdleInvalidAndConfig(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	rec := newRecorder()
	r, err := analysis.New(env.NC, analysis.Config{Name: "test", Source: bus.StreamChunks, Partitions: 2, IdleTimeout: 100 * time.Millisecond}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Starting mid-response: no metadata.
	publishChunk(t, env.JS, wire.Chunk{Stream: "idle", Seq: 3, Time: time.Now().UTC(), Text: "x"}, "")
	bustest.Eventually(t, 5*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.ends["idle"] == analysis.EndIdle
	}, "idle session not ended")
	rec.mu.Lock()
	if rec.metaSeen["idle"] {
		t.Error("metadata reported for a response first seen at seq 3")
	}
	rec.mu.Unlock()

	m := nats.NewMsg(wire.InSubject("broken"))
	m.Data = []byte(`{"stream":"broken","seq":0}`)
	if _, err := env.JS.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	dlq, _ := env.JS.Stream(ctx, bus.StreamDLQ)
	bustest.Eventually(t, 5*time.Second, func() bool {
		info, _ := dlq.Info(ctx)
		return info != nil && info.State.Msgs == 1
	}, "invalid chunk not dead-lettered")

	kv, _ := env.JS.KeyValue(ctx, bus.BucketConfig)
	if _, err := kv.PutString(ctx, "test.threshold", "0.7"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "test.threshold", "invalid"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "other.threshold", "9"); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.config["threshold"] == "0.7"
	}, "config not applied")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if _, ok := rec.config["other.threshold"]; ok || len(rec.config) != 1 {
		t.Fatalf("config %v", rec.config)
	}
}

// TestRunnerSpansOnlyForTracedChunks checks that a chunk carrying a trace gets an "analyse"
// span, a child of the chunk's span, and that an untraced chunk gets none.
func TestRunnerSpansOnlyForTracedChunks(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	r, err := analysis.New(env.NC, analysis.Config{Name: "test", Source: bus.StreamChunks, Partitions: 2, IdleTimeout: time.Hour,
		TracerProvider: tp}, newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	publishChunk(t, env.JS, wire.Chunk{Stream: "plain", Seq: 0, Time: time.Now().UTC(), Text: "x"}, "")
	gctx, gw := tp.Tracer("gateway").Start(context.Background(), "gateway")
	m := nats.NewMsg(wire.InSubject("traced"))
	m.Data, _ = json.Marshal(wire.Chunk{Stream: "traced", Seq: 0, Time: time.Now().UTC(), Text: "x"})
	m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
	propagation.TraceContext{}.Inject(gctx, telemetry.HeaderCarrier(m.Header))
	if _, err := env.JS.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 10*time.Second, func() bool { return len(rec.Ended()) >= 1 }, "no span for the traced chunk")
	// The untraced chunk was published first, and each partition handles chunks in order; wait
	// until both were analysed before counting spans.
	bustest.Eventually(t, 10*time.Second, func() bool {
		c, err := env.JS.Consumer(ctx, bus.StreamChunks, bus.ConsumerName("test", partitionOf(t, env, "plain")))
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= 1 && info.NumPending == 0 && info.NumAckPending == 0
	}, "untraced chunk not analysed")
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "test analyse" || spans[0].Parent().SpanID() != gw.SpanContext().SpanID() {
		t.Fatalf("spans %d, want one child of the gateway span", len(spans))
	}
}

func partitionOf(t *testing.T, env *bustest.Env, stream string) int {
	t.Helper()
	s, err := env.JS.Stream(context.Background(), bus.StreamChunks)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(wire.ChunkStreamFilter(stream)))
	if err != nil {
		t.Fatal(err)
	}
	for subj := range info.State.Subjects {
		si, err := wire.ParseSubject(subj)
		if err == nil {
			return si.Partition
		}
	}
	t.Fatalf("no chunk of %s stored", stream)
	return -1
}
