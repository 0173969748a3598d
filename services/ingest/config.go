package ingest

import (
	"crypto/tls"
	"strconv"
	"time"

	"github.com/midstream/midstream/pkg/frame"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ALPN is the TLS application protocol gateways must offer.
const ALPN = "midstream/1"

// Headers a gateway may set in a HEADERS frame besides the W3C trace context.
const (
	// HeaderResume names the first seq sent on a response stream that does not start at 0: a
	// gateway resuming after a reconnect sets it to its first unacknowledged seq.
	HeaderResume = "Ms-Resume"
	// HeaderPriority is the response's priority class (wire.Priority) for streams resumed
	// after chunk 0, which carries it in its metadata.
	HeaderPriority = "Ms-Priority"
)

// Config configures a Server. The zero value plus a certificate source is usable: Validate
// fills the defaults.
type Config struct {
	// Addr is the UDP address to listen on; default ":4433".
	Addr string
	// TLS, when set, is used as is (ALPN is forced to midstream/1 and the minimum version to
	// TLS 1.3). Otherwise CertFile/KeyFile are loaded, or a self-signed certificate is
	// generated in CertDir (and reused on later runs).
	TLS               *tls.Config
	CertFile, KeyFile string
	CertDir           string
	// Hosts are the names and IPs the self-signed certificate is valid for; default
	// localhost, 127.0.0.1 and ::1.
	Hosts []string
	// Tokens maps accepted bearer tokens to the tenant they belong to ("" for any tenant). A
	// gateway whose token maps to a tenant may only send responses of that tenant. An empty
	// map disables authentication (logged loudly at startup).
	Tokens map[string]string
	// MaxFrameSize caps a frame's payload; default and maximum frame.DefaultMaxSize (1 MiB).
	MaxFrameSize int
	// IdleTimeout closes a response stream on which nothing arrived for this long, and bounds
	// a write to a gateway that does not read; default 60s.
	IdleTimeout time.Duration
	// AuthTimeout bounds the wait for the AUTH frame after the handshake; default 5s.
	AuthTimeout time.Duration
	// MaxStreamsPerConn bounds the concurrently open responses of one gateway connection;
	// default 1000.
	MaxStreamsPerConn int64
	// MaxPending bounds the chunks awaiting a JetStream acknowledgement across the server;
	// beyond it ingest stops reading from gateways. Default 4096.
	MaxPending int
	// DrainTimeout bounds how long Serve waits for in-flight publishes after its ctx ends;
	// default 10s.
	DrainTimeout time.Duration
	// NoDeadLetterUnknownActions stops ingest from dead-lettering actions for streams it has
	// never seen. Set it when more than one ingest replica runs: every replica receives every
	// action and all but one would record it.
	NoDeadLetterUnknownActions bool
	// TracerProvider, MeterProvider and Propagator default to the OpenTelemetry globals; the
	// propagator defaults to W3C trace context when the global one is the no-op.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagator     propagation.TextMapPropagator
}

// Validate fills defaults and reports the first invalid setting.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = ":4433"
	}
	if c.TLS == nil && (c.CertFile == "") != (c.KeyFile == "") {
		return &configError{"CertFile and KeyFile go together"}
	}
	if c.TLS == nil && c.CertFile == "" && c.CertDir == "" {
		return &configError{"no certificate: set TLS, CertFile/KeyFile or CertDir"}
	}
	if len(c.Hosts) == 0 {
		c.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	switch {
	case c.MaxFrameSize == 0:
		c.MaxFrameSize = frame.DefaultMaxSize
	case c.MaxFrameSize < 1024 || c.MaxFrameSize > frame.DefaultMaxSize:
		return &configError{"MaxFrameSize " + strconv.Itoa(c.MaxFrameSize) + " outside 1024.." + strconv.Itoa(frame.DefaultMaxSize)}
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.AuthTimeout == 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.MaxStreamsPerConn == 0 {
		c.MaxStreamsPerConn = 1000
	}
	if c.MaxPending == 0 {
		c.MaxPending = 4096
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.IdleTimeout < 0 || c.AuthTimeout < 0 || c.DrainTimeout < 0 || c.MaxStreamsPerConn < 0 || c.MaxPending < 0 {
		return &configError{"negative timeout or limit"}
	}
	for tok := range c.Tokens {
		if tok == "" {
			return &configError{"empty token in Tokens"}
		}
	}
	return nil
}
