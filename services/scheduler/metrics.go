package scheduler

import (
	"context"
	"sync/atomic"

	"github.com/midstream/midstream/pkg/sched"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// badKinds are the kinds of bad response metadata the service counts; the chunk flows at the
// default in every case.
var badKinds = [...]string{"unknown_class", "bad_deadline", "bad_tenant", "missing_meta"}

// directReasons are the shed reasons decided by the service rather than pkg/sched.
var directReasons = [...]string{ReasonRejected, ReasonQueueFull, ReasonInvalid}

type counters struct {
	invalid, duplicates, queueFull, acked, publishRetries, recovered atomic.Uint64
	configApplied, configErrors, costProbes                          atomic.Uint64
	bad                                                              [len(badKinds)]atomic.Uint64
	forced                                                           [sched.NumClasses]atomic.Uint64
	direct                                                           [sched.NumClasses][len(directReasons)]atomic.Uint64
}

func (c *counters) badInput(kind string) {
	for i, k := range badKinds {
		if k == kind {
			c.bad[i].Add(1)
			return
		}
	}
}

func (c *counters) directShed(class sched.Class, reason string) {
	for i, r := range directReasons {
		if r == reason {
			c.direct[class][i].Add(1)
			return
		}
	}
}

type metrics struct {
	wait      metric.Float64Histogram
	classAttr [sched.NumClasses]metric.MeasurementOption
}

func (m *metrics) init(meter metric.Meter, s *Service) error {
	var err error
	for c := range sched.NumClasses {
		m.classAttr[c] = metric.WithAttributes(attribute.String("class", sched.Class(c).String()))
	}
	if m.wait, err = meter.Float64Histogram("midstream.scheduler.wait", metric.WithUnit("s"),
		metric.WithDescription("time a chunk waited in the scheduler, submission → release to WORK"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return err
	}
	gauge := func(name, unit, desc string) metric.Float64ObservableGauge {
		if err != nil {
			return nil
		}
		var g metric.Float64ObservableGauge
		g, err = meter.Float64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return g
	}
	ctr := func(name, desc string) metric.Int64ObservableCounter {
		if err != nil {
			return nil
		}
		var c metric.Int64ObservableCounter
		c, err = meter.Int64ObservableCounter(name, metric.WithDescription(desc))
		return c
	}
	depth := gauge("midstream.scheduler.queue.depth", "{chunk}", "chunks queued in the scheduler")
	p99 := gauge("midstream.scheduler.wait.p99", "s", "99th percentile wait of released chunks since start (±6.25 %)")
	cost := gauge("midstream.scheduler.cost", "s", "estimated analysis cost of one chunk")
	tokens := gauge("midstream.scheduler.tokens", "{token}", "tokens in the class's bucket (rate-limited classes)")
	submitted := ctr("midstream.scheduler.submitted", "chunks accepted by the scheduler")
	released := ctr("midstream.scheduler.released", "chunks released to WORK")
	delayed := ctr("midstream.scheduler.delayed", "released chunks that waited longer than the class's delay threshold")
	misses := ctr("midstream.scheduler.deadline_misses", "chunks released after their deadline")
	shed := ctr("midstream.scheduler.shed", "chunks shed (recorded as verdicts), by class and reason")
	forced := ctr("midstream.scheduler.forced", "chunk 0 or final chunks forwarded instead of shed")
	bad := ctr("midstream.scheduler.bad_input", "responses with unusable metadata, scheduled at the defaults")
	invalid := ctr("midstream.scheduler.invalid", "CHUNKS messages without a usable stream id or seq, dead-lettered")
	dups := ctr("midstream.scheduler.duplicates", "redelivered chunks recognised by seq")
	cfgErr := ctr("midstream.scheduler.config_errors", "configuration values rejected; the previous configuration stays")
	admission := ctr("midstream.scheduler.admission", "responses degraded or rejected by admission control")
	if err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var st sched.Stats
		s.s.Snapshot(&st)
		for c := range sched.NumClasses {
			cs := &st.Classes[c]
			cl := attribute.String("class", sched.Class(c).String())
			a := metric.WithAttributes(cl)
			o.ObserveFloat64(depth, float64(cs.Depth), a)
			o.ObserveFloat64(p99, cs.Wait.P99.Seconds(), a)
			o.ObserveFloat64(cost, cs.Cost.Seconds(), a)
			if cs.Limited {
				o.ObserveFloat64(tokens, cs.Tokens, a)
			}
			o.ObserveInt64(submitted, int64(cs.Submitted), a)
			o.ObserveInt64(released, int64(cs.Released), a)
			o.ObserveInt64(delayed, int64(cs.Delayed), a)
			o.ObserveInt64(misses, int64(cs.DeadlineMisses), a)
			for r := sched.Reason(1); r < sched.NumReasons; r++ {
				o.ObserveInt64(shed, int64(cs.Shed[r]), metric.WithAttributes(cl, attribute.String("reason", r.String())))
			}
			for i, r := range directReasons {
				o.ObserveInt64(shed, int64(s.c.direct[c][i].Load()), metric.WithAttributes(cl, attribute.String("reason", r)))
			}
			o.ObserveInt64(forced, int64(s.c.forced[c].Load()), a)
			o.ObserveInt64(admission, int64(cs.DegradedOut), metric.WithAttributes(cl, attribute.String("decision", "degrade")))
			o.ObserveInt64(admission, int64(cs.Rejected), metric.WithAttributes(cl, attribute.String("decision", "reject")))
		}
		for i, k := range badKinds {
			o.ObserveInt64(bad, int64(s.c.bad[i].Load()), metric.WithAttributes(attribute.String("kind", k)))
		}
		o.ObserveInt64(invalid, int64(s.c.invalid.Load()))
		o.ObserveInt64(dups, int64(s.c.duplicates.Load()))
		o.ObserveInt64(cfgErr, int64(s.c.configErrors.Load()))
		return nil
	}, depth, p99, cost, tokens, submitted, released, delayed, misses, shed, forced, bad, invalid, dups, cfgErr, admission)
	return err
}
