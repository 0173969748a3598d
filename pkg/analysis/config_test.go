package analysis_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/jetstream"
)

func TestSeedConfigOnlyWhenAbsent(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 1})
	ctx := context.Background()
	kv, err := env.JS.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := analysis.SeedConfig(ctx, env.JS, "test", "limit", []byte("1")); !ok || err != nil {
		t.Fatalf("first seed: %v %v", ok, err)
	}
	if ok, err := analysis.SeedConfig(ctx, env.JS, "test", "limit", []byte("2")); ok || err != nil {
		t.Fatalf("second seed: %v %v (the key holds a value)", ok, err)
	}
	if e, err := kv.Get(ctx, "test.limit"); err != nil || string(e.Value()) != "1" {
		t.Fatalf("test.limit: %v", err)
	}
	// A deleted key counts as absent.
	if err := kv.Delete(ctx, "test.limit"); err != nil {
		t.Fatal(err)
	}
	if ok, err := analysis.SeedConfig(ctx, env.JS, "test", "limit", []byte("3")); !ok || err != nil {
		t.Fatalf("seed after delete: %v %v", ok, err)
	}
	if e, err := kv.Get(ctx, "test.limit"); err != nil || string(e.Value()) != "3" {
		t.Fatalf("test.limit after reseed: %v", err)
	}
	// Without the bucket the error says so.
	if err := env.JS.DeleteKeyValue(ctx, bus.BucketConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := analysis.SeedConfig(ctx, env.JS, "test", "limit", []byte("4")); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("seed without bucket: %v", err)
	}
}

// configSpy records every Configure call and the configuration each session started under.
type configSpy struct {
	mu      sync.Mutex
	cfg     map[string]string
	calls   map[string]int
	started map[string]map[string]string
}

func (s *configSpy) Configure(name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
	if string(value) == "invalid" {
		return errors.New("bad value")
	}
	if value == nil {
		delete(s.cfg, name)
	} else {
		s.cfg[name] = string(value)
	}
	return nil
}

func (s *configSpy) Start(stream string, _ *wire.Meta) analysis.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started[stream] = maps.Clone(s.cfg)
	return nopSession{}
}

type nopSession struct{}

func (nopSession) Observe(context.Context, *wire.Chunk, *analysis.Emitter) error { return nil }
func (nopSession) End(context.Context, analysis.EndReason, *analysis.Emitter)    {}

func TestRunnerAppliesConfigBeforeConsuming(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 1})
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := env.JS.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) {
		t.Helper()
		if _, err := kv.PutString(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	put("test.threshold", "0.1")
	put("test.threshold", "0.5") // only the latest value is applied
	put("test.rejected", "invalid")
	put("test.gone", "x")
	if err := kv.Delete(ctx, "test.gone"); err != nil {
		t.Fatal(err)
	}
	put("other.threshold", "9")
	// The chunk is in the stream before the runner starts: it is consumed at once, so only
	// a synchronous initial load lets its session see the configuration.
	publishChunk(t, env.JS, wire.Chunk{Stream: "first", Seq: 0, Time: time.Now().UTC(), Text: "x"}, "")

	spy := &configSpy{cfg: map[string]string{}, calls: map[string]int{}, started: map[string]map[string]string{}}
	r, err := analysis.New(env.NC, analysis.Config{Name: "test", Source: bus.StreamChunks, Partitions: 1, IdleTimeout: time.Hour}, spy)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	bustest.Eventually(t, 5*time.Second, func() bool {
		spy.mu.Lock()
		defer spy.mu.Unlock()
		return spy.started["first"] != nil
	}, "first chunk not consumed")
	spy.mu.Lock()
	if got, want := spy.started["first"], map[string]string{"threshold": "0.5"}; !maps.Equal(got, want) {
		t.Errorf("first session started under %v, want %v", got, want)
	}
	spy.mu.Unlock()

	// A live change still arrives, and the initial values are not applied a second time.
	waitFor := func(key, want string) {
		t.Helper()
		bustest.Eventually(t, 5*time.Second, func() bool {
			spy.mu.Lock()
			defer spy.mu.Unlock()
			got, ok := spy.cfg[key]
			return ok == (want != "") && got == want
		}, "%s not %q", key, want)
	}
	put("test.live", "1")
	waitFor("live", "1")
	put("test.threshold", "0.9")
	waitFor("threshold", "0.9")
	if err := kv.Delete(ctx, "test.live"); err != nil {
		t.Fatal(err)
	}
	waitFor("live", "") // deleted
	spy.mu.Lock()
	defer spy.mu.Unlock()
	want := map[string]int{"threshold": 2, "rejected": 1, "live": 2}
	if !maps.Equal(spy.calls, want) {
		t.Errorf("Configure calls %v, want %v (initial values once, deleted key skipped at start)", spy.calls, want)
	}
}
