package verifier

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// metrics are the verifier's own instruments; the runtime records per-chunk analysis time
// (midstream.analysis.duration), chunk counts and inflight latency.
type metrics struct {
	verdicts metric.Int64Counter
	actions  metric.Int64Counter
	updates  metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider, a *Analyser) (*metrics, error) {
	meter := mp.Meter("github.com/midstream/midstream/services/verifier")
	m := &metrics{}
	var err error
	if m.verdicts, err = meter.Int64Counter("midstream.verifier.verdicts", metric.WithUnit("{verdict}"),
		metric.WithDescription("rule verdicts published, by status")); err != nil {
		return nil, err
	}
	if m.actions, err = meter.Int64Counter("midstream.verifier.actions", metric.WithUnit("{action}"),
		metric.WithDescription("actions requested for certain violations, by action")); err != nil {
		return nil, err
	}
	if m.updates, err = meter.Int64Counter("midstream.verifier.config.updates", metric.WithUnit("{update}"),
		metric.WithDescription("configuration values applied or rejected, by key and result")); err != nil {
		return nil, err
	}
	_, err = meter.Int64ObservableGauge("midstream.verifier.rules", metric.WithUnit("{rule}"),
		metric.WithDescription("rules in force over all policies"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			n := 0
			for _, p := range a.cfg.Load().policies {
				n += len(p.rules)
			}
			o.Observe(int64(n))
			return nil
		}))
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) verdict(ctx context.Context, status string) {
	m.verdicts.Add(ctx, 1, metric.WithAttributes(attribute.String("status", status)))
}

func (m *metrics) action(ctx context.Context, action string) {
	m.actions.Add(ctx, 1, metric.WithAttributes(attribute.String("action", action)))
}

func (m *metrics) update(key string, err error) {
	result := "applied"
	if err != nil {
		result = "rejected"
	}
	m.updates.Add(context.Background(), 1, metric.WithAttributes(attribute.String("key", key), attribute.String("result", result)))
}
