package telemetry

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HeaderCarrier adapts NATS message headers to OpenTelemetry's TextMapCarrier, so W3C
// traceparent and tracestate travel with every message.
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier(nil)

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string { return nats.Header(c).Get(key) }

// Set replaces key's value.
func (c HeaderCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

// Keys lists the header names.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes ctx's trace context into h using the global propagator. h must not be nil.
func Inject(ctx context.Context, h nats.Header) {
	otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier(h))
}

// Extract returns ctx carrying the trace context found in h (unchanged if there is none).
func Extract(ctx context.Context, h nats.Header) context.Context {
	if len(h) == 0 {
		return ctx
	}
	return otel.GetTextMapPropagator().Extract(ctx, HeaderCarrier(h))
}

// MapCarrier is a TextMapCarrier over a plain map, for trace context carried in QUIC frames.
type MapCarrier = propagation.MapCarrier

// Traced reports whether ctx carries a valid span context. Services start spans for a chunk
// only when it does: midstream continues the traces gateways start (sampled per response by
// the gateway's own sampler) and never roots a trace per chunk, which on untraced traffic would
// cost an allocation-heavy root span for every chunk and produce one useless trace each.
func Traced(ctx context.Context) bool { return trace.SpanContextFromContext(ctx).IsValid() }
