package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/ingest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// benchBus starts an embedded, provisioned JetStream with a file store in a temp dir.
func benchBus(b *testing.B) (*bus.Embedded, *nats.Conn) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{StoreDir: b.TempDir(), Port: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := bus.Provision(ctx, js, bus.Topology{}); err != nil {
		b.Fatal(err)
	}
	return srv, nc
}

// text makes a chunk whose JSON is about size bytes.
func text(size int) string {
	c := wire.Chunk{Stream: "bench-00", Seq: 12345, Time: time.Now().UTC()}
	j, _ := json.Marshal(c)
	return strings.Repeat("a", max(0, size-len(j)-len(`,"text":""`)))
}

const benchStreams = 16

// BenchmarkIngestThroughput compares chunks/s through the whole QUIC path (client JSON encode,
// QUIC, frame decode, wire validation, span, JetStream publish and ack, ACK frame) with a raw
// asynchronous JetStream publish of the same chunks (JSON encode, same subject and headers,
// same dedup id) into the same kind of embedded file-store server. Both use 16 concurrent
// responses and 4096 publishes in flight.
func BenchmarkIngestThroughput(b *testing.B) {
	for _, size := range []int{200} {
		b.Run(fmt.Sprintf("path=raw/size=%d", size), func(b *testing.B) { benchRaw(b, size) })
		b.Run(fmt.Sprintf("path=quic/size=%d", size), func(b *testing.B) { benchQUIC(b, size, false) })
		b.Run(fmt.Sprintf("path=quic-traced/size=%d", size), func(b *testing.B) { benchQUIC(b, size, true) })
	}
}

func benchRaw(b *testing.B, size int) {
	_, nc := benchBus(b)
	// The same bounded async publisher ingest uses, with ingest's default bound.
	pub, err := bus.NewPublisher(nc, bus.WithMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	txt := text(size)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for w := range benchStreams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("raw-%02d", w)
			for seq := w; seq < b.N; seq += benchStreams {
				c := wire.Chunk{Stream: id, Seq: uint64(seq / benchStreams), Time: time.Now().UTC(), Text: txt}
				data, _ := json.Marshal(&c)
				m := &nats.Msg{Subject: wire.InSubject(id), Data: data, Header: nats.Header{}}
				m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
				if _, err := pub.Publish(ctx, m, wire.MsgID(id, c.Seq)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := pub.Flush(fctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "chunks/s")
}

// benchQUIC streams through ingest. traced gives every response a sampled gateway span, so
// ingest records an "ingest chunk" span per chunk with an SDK tracer provider (no exporter:
// the cost measured is creating, recording and propagating spans, not shipping them).
func benchQUIC(b *testing.B, size int, traced bool) {
	_, nc := benchBus(b)
	cfg := ingest.Config{Addr: "127.0.0.1:0", CertDir: b.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if traced {
		tp := sdktrace.NewTracerProvider()
		cfg.TracerProvider, cfg.Propagator = tp, propagation.TraceContext{}
		var span trace.Span
		ctx, span = tp.Tracer("gateway").Start(ctx, "responses")
		defer span.End()
	}
	srv, err := ingest.New(cfg, nc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() { cancel(); <-served }()
	conn, err := client.Dial(ctx, srv.Addr().String(), client.WithInsecureSkipVerify(), client.WithMaxUnacked(4096),
		client.WithPropagator(propagation.TraceContext{}))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	txt := text(size)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range benchStreams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := conn.StartResponse(ctx, fmt.Sprintf("quic-%02d", w), nil)
			if err != nil {
				b.Error(err)
				return
			}
			n := 0
			for seq := w; seq < b.N; seq += benchStreams {
				n++
			}
			for range n - 1 {
				if _, err := r.Send(ctx, wire.Chunk{Text: txt}); err != nil {
					b.Error(err)
					return
				}
			}
			if n > 0 {
				if err := r.CloseWithFinal(ctx, wire.Chunk{Text: txt}); err != nil {
					b.Error(err)
				}
			} else if err := r.Close(ctx); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "chunks/s")
}

// BenchmarkActionRoundTrip measures the time from a core NATS publish on ms.action.<stream> to
// the gateway's action callback, through ingest's subscription and the response's QUIC stream.
func BenchmarkActionRoundTrip(b *testing.B) {
	_, nc := benchBus(b)
	srv, err := ingest.New(ingest.Config{Addr: "127.0.0.1:0", CertDir: b.TempDir()}, nc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() { cancel(); <-served }()
	conn, err := client.Dial(ctx, srv.Addr().String(), client.WithInsecureSkipVerify())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	got := make(chan time.Time, 1)
	r, err := conn.StartResponse(ctx, "rt-1", nil, client.WithActionHandler(func(wire.Action) { got <- time.Now() }))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Send(ctx, wire.Chunk{Text: "x"}); err != nil {
		b.Fatal(err)
	}
	for r.Acked() == 0 {
		select {
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		case <-time.After(time.Millisecond): // waiting for the route to exist, not synchronizing a result
		}
	}
	pub, err := nats.Connect(nc.ConnectedUrl())
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	data, _ := json.Marshal(wire.Action{Stream: "rt-1", Type: wire.ActionFlag, Analyser: "bench", Time: time.Now().UTC()})
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		if err := pub.Publish(wire.ActionSubject("rt-1"), data); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-got:
			lat = append(lat, at.Sub(t))
		case <-time.After(5 * time.Second):
			b.Fatal("action not relayed")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	_ = r.Close(ctx)
}
