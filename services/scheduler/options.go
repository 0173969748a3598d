package scheduler

import (
	"errors"
	"log/slog"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/sched"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Name is the service's name: its consumer prefix, verdict subject token (analyser
// "scheduler"), micro service name and ms_config key prefix.
const Name = "scheduler"

// Version is the micro service version.
const Version = "0.1.0"

// Option configures a Service.
type Option func(*options) error

type options struct {
	cfg           sched.Config
	partitions    int
	only          []int
	ackWait       time.Duration
	maxAckPending int
	maxDeliver    int
	batch         int
	costInterval  time.Duration
	publishWait   time.Duration
	log           *slog.Logger
	tp            trace.TracerProvider
	mp            metric.MeterProvider
}

func defaultOptions() options {
	return options{
		cfg:           sched.DefaultConfig(),
		partitions:    bus.DefaultPartitions,
		ackWait:       2 * time.Minute,
		maxAckPending: 2000,
		maxDeliver:    10,
		batch:         64,
		costInterval:  time.Second,
		publishWait:   10 * time.Second,
	}
}

// WithConfig sets the initial scheduling configuration (default sched.DefaultConfig()). It is
// validated by New; ms_config values override it at run time.
func WithConfig(c sched.Config) Option {
	return func(o *options) error {
		if err := c.Validate(); err != nil {
			return &ConfigError{Key: "initial", Err: err}
		}
		o.cfg = c
		return nil
	}
}

// WithPartitions sets the topology's partition count (default 16) and, optionally, the
// partitions this replica serves (default all; the priority group then picks the active
// replica per partition).
func WithPartitions(n int, only ...int) Option {
	return func(o *options) error {
		if n < 1 {
			return &ConfigError{Key: "partitions", Err: errors.New("must be at least 1")}
		}
		for _, p := range only {
			if p < 0 || p >= n {
				return &ConfigError{Key: "partitions", Err: errors.New("partition outside the topology")}
			}
		}
		o.partitions, o.only = n, append([]int(nil), only...)
		return nil
	}
}

// WithConsumer tunes the CHUNKS consumers: how long a chunk may stay unacknowledged before
// JetStream redelivers it (default 2 minutes; queued chunks are kept alive with progress
// acknowledgements every third of it, so this only matters when the scheduler dies), how many
// unacknowledged chunks one partition may hold (default 2000: the bound on queued chunks per
// partition) and how many deliveries a chunk gets before it is dead-lettered (default 10).
func WithConsumer(ackWait time.Duration, maxAckPending, maxDeliver int) Option {
	return func(o *options) error {
		if ackWait < time.Second || maxAckPending < 1 || maxDeliver < 1 {
			return &ConfigError{Key: "consumer", Err: errors.New("ack wait ≥ 1s, max ack pending ≥ 1 and max deliver ≥ 1 required")}
		}
		o.ackWait, o.maxAckPending, o.maxDeliver = ackWait, maxAckPending, maxDeliver
		return nil
	}
}

// WithBatch sets how many items the dispatcher takes from the scheduler at a time (default 64).
func WithBatch(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return &ConfigError{Key: "batch", Err: errors.New("must be at least 1")}
		}
		o.batch = n
		return nil
	}
}

// WithCostProbe sets how often the service estimates the analysers' cost per chunk from the
// WORK consumers' progress (default 1s; 0 turns the probe off and the configured class costs
// stay).
func WithCostProbe(every time.Duration) Option {
	return func(o *options) error {
		if every < 0 {
			return &ConfigError{Key: "cost probe", Err: errors.New("negative interval")}
		}
		o.costInterval = every
		return nil
	}
}

// WithPublishTimeout bounds the wait for JetStream to store one WORK item or verdict before it
// is published again (default 10s).
func WithPublishTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return &ConfigError{Key: "publish timeout", Err: errors.New("must be positive")}
		}
		o.publishWait = d
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithTracerProvider sets the tracer provider (default the OTel global).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) error { o.tp = tp; return nil }
}

// WithMeterProvider sets the meter provider (default the OTel global).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) error { o.mp = mp; return nil }
}

func (o *options) fill() {
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
}
