package client

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/quic-go/quic-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// ALPN is the TLS application protocol of midstream's QUIC ingest.
const ALPN = "midstream/1"

// Option configures Dial.
type Option func(*options)

type options struct {
	token         string
	name          string
	tls           *tls.Config
	serverName    string
	roots         *x509.CertPool
	insecure      bool
	log           *slog.Logger
	maxUnacked    int
	reconnect     bool
	reconnectWait time.Duration
	quic          *quic.Config
	prop          propagation.TextMapPropagator
}

func newOptions(opts []Option) options {
	o := options{name: "midstream-go-client", log: slog.Default(), maxUnacked: 1024, reconnect: true,
		reconnectWait: 50 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	if o.prop == nil {
		o.prop = otel.GetTextMapPropagator()
		if len(o.prop.Fields()) == 0 {
			o.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		}
	}
	return o
}

func (o *options) tlsConfig() *tls.Config {
	tc := &tls.Config{}
	if o.tls != nil {
		tc = o.tls.Clone()
	}
	if o.serverName != "" {
		tc.ServerName = o.serverName
	}
	if o.roots != nil {
		tc.RootCAs = o.roots
	}
	if o.insecure {
		tc.InsecureSkipVerify = true
	}
	tc.MinVersion = tls.VersionTLS13
	tc.NextProtos = []string{ALPN}
	return tc
}

// WithToken sets the bearer token sent in the AUTH frame.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithClientName names the gateway in ingest's logs.
func WithClientName(name string) Option { return func(o *options) { o.name = name } }

// WithTLSConfig sets the base TLS configuration (client certificates, roots). ALPN and the
// minimum version (TLS 1.3) are always set by the client.
func WithTLSConfig(tc *tls.Config) Option { return func(o *options) { o.tls = tc } }

// WithServerName sets the name the server certificate is verified against.
func WithServerName(name string) Option { return func(o *options) { o.serverName = name } }

// WithRootCAs trusts the given roots, e.g. a pool holding ingest's self-signed certificate.
func WithRootCAs(pool *x509.CertPool) Option { return func(o *options) { o.roots = pool } }

// WithInsecureSkipVerify accepts any server certificate. Only for development against the
// self-signed certificate of a local ingest; it gives up protection against impersonation.
func WithInsecureSkipVerify() Option { return func(o *options) { o.insecure = true } }

// WithLogger sets the logger for reconnects and dropped events; default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMaxUnacked bounds the chunks per response kept for resending until ingest acknowledges
// them; Send blocks beyond it. Default 1024.
func WithMaxUnacked(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxUnacked = n
		}
	}
}

// WithReconnect turns automatic reconnection on (the default) or off. Off, a lost connection
// fails every open response.
func WithReconnect(on bool) Option { return func(o *options) { o.reconnect = on } }

// WithQUICConfig sets the QUIC configuration (keep-alive, idle timeout, windows).
func WithQUICConfig(c *quic.Config) Option { return func(o *options) { o.quic = c } }

// WithPropagator sets the trace-context propagator; default the OpenTelemetry global one, or
// W3C trace context when that is the no-op.
func WithPropagator(p propagation.TextMapPropagator) Option { return func(o *options) { o.prop = p } }

// ResponseOption configures StartResponse.
type ResponseOption func(*Response)

// WithActionHandler calls h for each action on the response, on the response's reading
// goroutine (keep it short). Without it actions go to Response.Actions().
func WithActionHandler(h func(wire.Action)) ResponseOption {
	return func(r *Response) { r.onAction = h }
}

// WithErrorHandler calls h for each ERROR frame ingest sends about the response. Without it
// they go to Response.Errors(). Any error other than a duplicate seq, a publish failure, an
// idle timeout or a drain (which the client repairs by resending) also ends the response.
func WithErrorHandler(h func(*ChunkError)) ResponseOption {
	return func(r *Response) { r.onError = h }
}
