package compare

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// metrics are compare's own instruments; the runtime records per-chunk analysis time
// (midstream.analysis.duration), chunk counts and inflight latency.
type metrics struct {
	matches     metric.Int64Counter
	repetitions metric.Int64Counter
	updates     metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider, a *Analyser) (*metrics, error) {
	meter := mp.Meter("github.com/midstream/midstream/services/compare")
	m := &metrics{}
	var err error
	if m.matches, err = meter.Int64Counter("midstream.compare.matches", metric.WithUnit("{verdict}"),
		metric.WithDescription("match verdicts, by reference id (\"conversation\" for earlier responses), reference kind and action")); err != nil {
		return nil, err
	}
	if m.repetitions, err = meter.Int64Counter("midstream.compare.repetitions", metric.WithUnit("{verdict}"),
		metric.WithDescription("repetition verdicts, by action")); err != nil {
		return nil, err
	}
	if m.updates, err = meter.Int64Counter("midstream.compare.config.updates", metric.WithUnit("{update}"),
		metric.WithDescription("configuration values applied or rejected, by key and result")); err != nil {
		return nil, err
	}
	_, err = meter.Int64ObservableGauge("midstream.compare.library.references", metric.WithUnit("{reference}"),
		metric.WithDescription("references in the library in force"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(a.Library().Len()))
			return nil
		}))
	if err != nil {
		return nil, err
	}
	_, err = meter.Int64ObservableGauge("midstream.compare.library.tokens", metric.WithUnit("{token}"),
		metric.WithDescription("tokens of the library in force"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(a.Library().Tokens()))
			return nil
		}))
	if err != nil {
		return nil, err
	}
	_, err = meter.Int64ObservableGauge("midstream.compare.history.tokens", metric.WithUnit("{token}"),
		metric.WithDescription("tokens of finished responses kept for conversation cross-matching"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			_, w := a.hist.stats()
			o.Observe(int64(w))
			return nil
		}))
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) match(ctx context.Context, ref, kind, action string) {
	m.matches.Add(ctx, 1, metric.WithAttributes(attribute.String("reference", ref), attribute.String("kind", kind), attribute.String("action", action)))
}

func (m *metrics) repetition(ctx context.Context, action string) {
	m.repetitions.Add(ctx, 1, metric.WithAttributes(attribute.String("action", action)))
}

func (m *metrics) update(key string, err error) {
	result := "applied"
	if err != nil {
		result = "rejected"
	}
	m.updates.Add(context.Background(), 1, metric.WithAttributes(attribute.String("key", key), attribute.String("result", result)))
}
