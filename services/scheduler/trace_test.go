package scheduler

import (
	"github.com/nats-io/nats.go"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestWaitSpanAndTraceContext(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := startService(t, WithTracerProvider(tp))
	// Untraced chunks get no span: midstream continues gateways' traces, it never roots one per chunk.
	h.publish(t, response("plain", 3, &wire.Meta{Priority: wire.PriorityHigh})...)
	gwctx, gw := tp.Tracer("gateway").Start(t.Context(), "gateway response")
	h.extra = nats.Header{}
	telemetry.Inject(gwctx, h.extra)
	h.publish(t, response("traced", 3, &wire.Meta{Priority: wire.PriorityHigh})...)
	h.settle(t, 10*time.Second)
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (one per traced chunk)", len(spans))
	}
	ids := map[trace.SpanID]bool{}
	for _, s := range spans {
		if s.Parent().SpanID() != gw.SpanContext().SpanID() {
			t.Errorf("span %s is not a child of the gateway span", s.Name())
		}
		ids[s.SpanContext().SpanID()] = true
		attrs := map[string]string{}
		for _, a := range s.Attributes() {
			attrs[string(a.Key)] = a.Value.String()
		}
		if s.Name() != "scheduler wait" || attrs["midstream.priority"] != "high" || attrs["midstream.scheduler.outcome"] != "released" || attrs["midstream.scheduler.wait_ms"] == "" {
			t.Errorf("span %s %v", s.Name(), attrs)
		}
		if s.EndTime().Before(s.StartTime()) {
			t.Errorf("span ends before it starts")
		}
	}
	for _, m := range readAll(t, h.env.JS, bus.StreamWork, wire.WorkWildcard) {
		if strings.HasSuffix(m.Subject(), ".plain") {
			continue
		}
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(t.Context(), telemetry.HeaderCarrier(m.Headers())))
		if !ids[sc.SpanID()] {
			t.Errorf("WORK item %s carries trace context %v, not a scheduler wait span", m.Subject(), sc.SpanID())
		}
		if m.Headers().Get(wire.HeaderReceived) == "" || m.Headers().Get(wire.HeaderSchema) != wire.SchemaChunk {
			t.Errorf("headers not preserved: %v", m.Headers())
		}
	}
}
