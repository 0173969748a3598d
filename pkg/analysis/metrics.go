package analysis

import (
	"context"

	"github.com/midstream/midstream/pkg/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

type runnerMetrics struct {
	attrs        metric.MeasurementOption
	chunks       metric.Int64Counter
	duration     metric.Float64Histogram
	inflight     metric.Float64Histogram
	emitted      metric.Int64Counter
	duplicates   metric.Int64Counter
	invalid      metric.Int64Counter
	errors       metric.Int64Counter
	evicted      metric.Int64Counter
	configErrors metric.Int64Counter
}

func (m *runnerMetrics) init(meter metric.Meter, name string, open func() int64) error {
	m.attrs = metric.WithAttributes(attribute.String("analyser", name))
	var err error
	ctr := func(n, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = meter.Int64Counter(n, metric.WithDescription(desc))
		return c
	}
	m.chunks = ctr("midstream.analysis.chunks", "chunks analysed")
	m.emitted = ctr("midstream.analysis.emitted", "verdicts and actions published")
	m.duplicates = ctr("midstream.analysis.duplicates", "redelivered chunks skipped (idempotency by seq)")
	m.invalid = ctr("midstream.analysis.invalid", "chunks that failed validation, dead-lettered")
	m.errors = ctr("midstream.analysis.errors", "analysis failures and invalid findings")
	m.evicted = ctr("midstream.analysis.evicted", "sessions ended because the replica held too many")
	m.configErrors = ctr("midstream.analysis.config_errors", "configuration values rejected")
	if err != nil {
		return err
	}
	if m.duration, err = meter.Float64Histogram("midstream.analysis.duration", metric.WithUnit("s"),
		metric.WithDescription("time an analyser spends on one chunk")); err != nil {
		return err
	}
	if m.inflight, err = meter.Float64Histogram(telemetry.MetricInflightLatency, metric.WithUnit("s"),
		metric.WithDescription("chunk received at ingest → verdict or action stored in JetStream")); err != nil {
		return err
	}
	_, err = meter.Int64ObservableGauge("midstream.analysis.sessions", metric.WithDescription("open sessions on this replica"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(open(), m.attrs)
			return nil
		}))
	return err
}
