// Package telemetry sets up OpenTelemetry tracing and metrics from the standard OTEL_*
// environment variables, carries W3C trace context in NATS headers, serves Prometheus metrics
// with health and readiness endpoints, and builds the structured slog logger every service uses.
package telemetry
