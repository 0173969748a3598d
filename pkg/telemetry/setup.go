package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Telemetry holds the providers a process installed; Shutdown flushes and stops them.
type Telemetry struct {
	// Registry is the Prometheus registry served on /metrics.
	Registry *prometheus.Registry
	// TracerProvider is the SDK provider (always present, so spans can be recorded in tests;
	// without an exporter it only propagates context).
	TracerProvider *sdktrace.TracerProvider
	// MeterProvider exports to Registry.
	MeterProvider *sdkmetric.MeterProvider
	// Exporting says whether spans leave the process (an OTLP endpoint is configured).
	Exporting bool
}

// Option configures Setup.
type Option func(*setupConfig)

type setupConfig struct {
	version   string
	spanProcs []sdktrace.SpanProcessor
	sampler   sdktrace.Sampler
}

// WithVersion sets service.version on the resource.
func WithVersion(v string) Option { return func(c *setupConfig) { c.version = v } }

// WithSpanProcessor adds a span processor, e.g. a tracetest.SpanRecorder in tests.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return func(c *setupConfig) { c.spanProcs = append(c.spanProcs, p) }
}

// WithSampler overrides the sampler chosen from OTEL_TRACES_SAMPLER.
func WithSampler(s sdktrace.Sampler) Option { return func(c *setupConfig) { c.sampler = s } }

// Setup installs global tracer and meter providers and the W3C propagator for service.
//
// Traces are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_TRACES_EXPORTER is not "none"); the
// exporter reads the other OTEL_EXPORTER_OTLP_* variables itself. Sampling follows
// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the SDK defines them, defaulting to
// parent-based always-on, so a gateway's sampling decision is honoured per response.
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES refine the resource. Metrics are served in
// Prometheus format from Registry.
func Setup(ctx context.Context, service string, opts ...Option) (*Telemetry, error) {
	var cfg setupConfig
	for _, o := range opts {
		o(&cfg)
	}
	attrs := []resource.Option{
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	}
	if cfg.version != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceVersion(cfg.version)))
	}
	res, err := resource.New(ctx, attrs...)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}

	t := &Telemetry{Registry: prometheus.NewRegistry()}
	t.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(cfg.sampler))
	}
	if tracesEnabled() {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP trace exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
		t.Exporting = true
	}
	for _, p := range cfg.spanProcs {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	t.TracerProvider = sdktrace.NewTracerProvider(tpOpts...)

	promExp, err := otelprom.New(otelprom.WithRegisterer(t.Registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	t.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(promExp),
		sdkmetric.WithView(latencyView()))

	otel.SetTracerProvider(t.TracerProvider)
	otel.SetMeterProvider(t.MeterProvider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return t, nil
}

func tracesEnabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none") || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// LatencyBuckets are the histogram boundaries, in seconds, for every latency midstream
// records: fine below 10 ms, where its verdicts are meant to land.
var LatencyBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// latencyView gives every histogram whose unit is seconds midstream's latency buckets.
func latencyView() sdkmetric.View {
	return func(inst sdkmetric.Instrument) (sdkmetric.Stream, bool) {
		if inst.Kind != sdkmetric.InstrumentKindHistogram || inst.Unit != "s" {
			return sdkmetric.Stream{}, false
		}
		return sdkmetric.Stream{
			Name: inst.Name, Description: inst.Description, Unit: inst.Unit,
			Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: LatencyBuckets},
		}, true
	}
}

// Shutdown flushes pending spans and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.TracerProvider.Shutdown(ctx), t.MeterProvider.Shutdown(ctx))
}
