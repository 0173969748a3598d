package ingest

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
)

func propagatorOr(p propagation.TextMapPropagator) propagation.TextMapPropagator {
	if p != nil {
		return p
	}
	g := otel.GetTextMapPropagator()
	if len(g.Fields()) > 0 {
		return g
	}
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// metrics are the instruments ingest records; names follow OpenTelemetry's dotted style.
type metrics struct {
	chunksIn       metric.Int64Counter
	bytesIn        metric.Int64Counter
	rejected       metric.Int64Counter
	duplicates     metric.Int64Counter
	publishLatency metric.Float64Histogram
	conns          metric.Int64UpDownCounter
	streams        metric.Int64UpDownCounter
	actions        metric.Int64Counter
	actionsMissed  metric.Int64Counter
	authFailures   metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := mp.Meter("github.com/midstream/midstream/services/ingest")
	var ms metrics
	var err error
	try := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	try(func() (e error) {
		ms.chunksIn, e = m.Int64Counter("midstream.ingest.chunks", metric.WithDescription("chunks accepted and published"), metric.WithUnit("{chunk}"))
		return
	})
	try(func() (e error) {
		ms.bytesIn, e = m.Int64Counter("midstream.ingest.bytes", metric.WithDescription("chunk JSON bytes accepted"), metric.WithUnit("By"))
		return
	})
	try(func() (e error) {
		ms.rejected, e = m.Int64Counter("midstream.ingest.rejected", metric.WithDescription("frames and chunks rejected, by reason"), metric.WithUnit("{frame}"))
		return
	})
	try(func() (e error) {
		ms.duplicates, e = m.Int64Counter("midstream.ingest.duplicates", metric.WithDescription("resent chunks JetStream deduplicated"), metric.WithUnit("{chunk}"))
		return
	})
	try(func() (e error) {
		ms.publishLatency, e = m.Float64Histogram("midstream.ingest.publish.duration", metric.WithDescription("time from receiving a chunk to its JetStream acknowledgement"), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1))
		return
	})
	try(func() (e error) {
		ms.conns, e = m.Int64UpDownCounter("midstream.ingest.connections", metric.WithDescription("open gateway connections"), metric.WithUnit("{connection}"))
		return
	})
	try(func() (e error) {
		ms.streams, e = m.Int64UpDownCounter("midstream.ingest.streams", metric.WithDescription("open response streams"), metric.WithUnit("{stream}"))
		return
	})
	try(func() (e error) {
		ms.actions, e = m.Int64Counter("midstream.ingest.actions.relayed", metric.WithDescription("actions relayed to gateways"), metric.WithUnit("{action}"))
		return
	})
	try(func() (e error) {
		ms.actionsMissed, e = m.Int64Counter("midstream.ingest.actions.unrouted", metric.WithDescription("actions not relayed, by reason"), metric.WithUnit("{action}"))
		return
	})
	try(func() (e error) {
		ms.authFailures, e = m.Int64Counter("midstream.ingest.auth.failures", metric.WithDescription("connections refused for authentication"), metric.WithUnit("{connection}"))
		return
	})
	return &ms, err
}
