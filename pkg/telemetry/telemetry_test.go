package telemetry_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/telemetry/telemetrytest"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestCarrierPropagatesTraceContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.Setup(context.Background(), "test", telemetry.WithSpanProcessor(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	tr := otel.Tracer("test")
	ctx, parent := tr.Start(context.Background(), "publish")
	h := nats.Header{}
	telemetry.Inject(ctx, h)
	if !strings.HasPrefix(h.Get("traceparent"), "00-"+parent.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q", h.Get("traceparent"))
	}
	_, child := tr.Start(telemetry.Extract(context.Background(), h), "consume")
	child.End()
	parent.End()
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	if spans[0].Parent().SpanID() != parent.SpanContext().SpanID() || spans[0].SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Fatal("consumer span is not a child of the publisher span")
	}
	if got := telemetry.Extract(context.Background(), nil); got != context.Background() {
		t.Fatal("empty headers changed the context")
	}
}

// TestOTLPExport sends a span to an in-test OTLP/HTTP receiver and decodes the protobuf.
func TestOTLPExport(t *testing.T) {
	recv := telemetrytest.NewReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL())
	tel, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Exporting {
		t.Fatal("endpoint set but not exporting")
	}
	_, span := otel.Tracer("test").Start(context.Background(), "ingest chunk")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	if len(spans) != 1 || spans[0].Name != "ingest chunk" {
		t.Fatalf("receiver got %v", spans)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	h := telemetry.NewHealth()
	var broken error
	h.Add("nats", func() error { return broken })
	c, _ := otel.Meter("test").Int64Counter("midstream.test.things")
	c.Add(context.Background(), 3)
	srv := httptest.NewServer(telemetry.Handler(tel.Registry, h))
	defer srv.Close()
	get := func(path string) (int, string) {
		r, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}
	broken = errors.New("disconnected")
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "nats: disconnected") {
		t.Fatalf("readyz %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "midstream_test_things_total 3") {
		t.Fatalf("metrics missing counter:\n%s", body)
	}
}

func TestNewLogger(t *testing.T) {
	if _, err := telemetry.NewLogger(io.Discard, "xml", "info"); err == nil {
		t.Fatal("bad format accepted")
	}
	if _, err := telemetry.NewLogger(io.Discard, "text", "loud"); err == nil {
		t.Fatal("bad level accepted")
	}
}
