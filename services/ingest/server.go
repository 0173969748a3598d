package ingest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/quic-go/quic-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// deadLetterSource is the source token of ingest's dead-letter records: ms.dlq.ingest.
const deadLetterSource = "ingest"

// Server is a running QUIC ingest endpoint. Create it with New, run it with Serve.
type Server struct {
	cfg    Config
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	pub    *bus.Publisher
	ln     *quic.Listener
	tokens map[[32]byte]string
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	m      *metrics

	dlq     chan deadLetter
	dlqStop chan struct{}

	mu       sync.Mutex
	conns    map[*gwConn]struct{}
	draining bool
	wg       sync.WaitGroup // connection and stream handlers

	routes routes

	// testHookAck, when set, runs before each ACK is written (tests hold acks back with it).
	testHookAck func()
}

// New validates cfg, binds the UDP listener and prepares publishing on nc. The server does
// nothing until Serve is called.
func New(cfg Config, nc *nats.Conn, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if nc == nil {
		return nil, &configError{"nil NATS connection"}
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("service", "ingest")
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m, err := newMetrics(mp)
	if err != nil {
		return nil, fmt.Errorf("ingest: metrics: %w", err)
	}
	pub, err := bus.NewPublisher(nc, bus.WithMaxPending(cfg.MaxPending))
	if err != nil {
		return nil, err
	}
	tc, err := serverTLS(&cfg)
	if err != nil {
		return nil, err
	}
	qc := &quic.Config{
		MaxIncomingStreams:    cfg.MaxStreamsPerConn + 1, // the control stream
		MaxIncomingUniStreams: -1,
		KeepAlivePeriod:       15 * time.Second,
		MaxIdleTimeout:        max(30*time.Second, cfg.IdleTimeout),
		// Chunks are small and many streams share the connection: a larger connection window
		// keeps the gateway from stalling on MAX_DATA updates (see docs/ingest.md, flow control).
		InitialStreamReceiveWindow:     1 << 20,
		MaxStreamReceiveWindow:         4 << 20,
		InitialConnectionReceiveWindow: 8 << 20,
		MaxConnectionReceiveWindow:     32 << 20,
	}
	ln, err := quic.ListenAddr(cfg.Addr, tc, qc)
	if err != nil {
		return nil, fmt.Errorf("ingest: listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		cfg: cfg, log: log, nc: nc, js: pub.JetStream(), pub: pub, ln: ln,
		tokens:  make(map[[32]byte]string, len(cfg.Tokens)),
		tracer:  tp.Tracer("github.com/midstream/midstream/services/ingest"),
		prop:    propagatorOr(cfg.Propagator),
		m:       m,
		dlq:     make(chan deadLetter, 1024),
		dlqStop: make(chan struct{}),
		conns:   make(map[*gwConn]struct{}),
		routes:  routes{open: map[string]*respStream{}, closed: map[string]time.Time{}},
	}
	for tok, tenant := range cfg.Tokens {
		s.tokens[sha256.Sum256([]byte(tok))] = tenant
	}
	return s, nil
}

// Addr is the UDP address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts gateway connections until ctx ends, then drains: it stops reading, waits (up
// to Config.DrainTimeout) until every chunk already read is acknowledged by JetStream and the
// gateway has its final ACK, and closes the connections with CodeShuttingDown. It returns nil
// after a drain, or the error that stopped it.
func (s *Server) Serve(ctx context.Context) error {
	if len(s.tokens) == 0 {
		s.log.Warn("AUTHENTICATION DISABLED: no gateway tokens configured, any client that completes the TLS handshake may publish chunks")
	}
	sub, err := s.nc.Subscribe(wire.ActionWildcard, s.onAction)
	if err != nil {
		return fmt.Errorf("ingest: subscribe %s: %w", wire.ActionWildcard, err)
	}
	// The subscription must be live on the server before a gateway can expect actions.
	if err := s.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("ingest: subscribe %s: %w", wire.ActionWildcard, err)
	}
	dlqDone := make(chan struct{})
	go func() { defer close(dlqDone); s.runDeadLetters() }()
	s.log.Info("ingest listening", "addr", s.Addr().String(), "alpn", ALPN, "auth", len(s.tokens) > 0)

	acceptErr := make(chan error, 1)
	go func() {
		for {
			qc, err := s.ln.Accept(ctx)
			if err != nil {
				acceptErr <- err
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.handleConn(ctx, qc) }()
		}
	}()
	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-acceptErr:
		if ctx.Err() == nil {
			serveErr = fmt.Errorf("ingest: accept: %w", err)
		}
	}
	s.drain()
	_ = sub.Unsubscribe()
	close(s.dlqStop)
	<-dlqDone
	return serveErr
}

// drain stops reading from every stream, waits for the in-flight publishes to be acknowledged
// and closes everything.
func (s *Server) drain() {
	s.mu.Lock()
	s.draining = true
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	_ = s.ln.Close()
	for _, c := range conns {
		c.stopReading()
	}
	done := make(chan struct{})
	go func() {
		for _, c := range conns {
			c.streams.Wait()
		}
		close(done)
	}()
	deadline := time.Now().Add(s.cfg.DrainTimeout)
	t := time.NewTimer(s.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("drain timeout: closing connections with publishes still pending", "pending", s.pub.Pending())
	}
	// Closing a connection discards what is still in flight on it, including the last ACK and
	// the shutting-down ERROR. Gateways that heard them close first; give them a moment.
	grace := time.NewTimer(max(0, min(time.Second, time.Until(deadline))))
	defer grace.Stop()
wait:
	for _, c := range conns {
		select {
		case <-c.qc.Context().Done():
		case <-grace.C:
			break wait
		}
	}
	for _, c := range conns {
		_ = c.qc.CloseWithError(CodeShuttingDown, "midstream ingest shutting down: reconnect and resend unacknowledged chunks")
	}
	s.wg.Wait()
	fctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if err := s.pub.Close(fctx); err != nil {
		s.log.Warn("drain: publisher", "err", err)
	}
}

// authenticate maps a token to its tenant. Tokens are compared by SHA-256 digest so that the
// map lookup does not leak a token's prefix through timing.
func (s *Server) authenticate(token string) (tenant string, ok bool) {
	if len(s.tokens) == 0 {
		return "", true
	}
	tenant, ok = s.tokens[sha256.Sum256([]byte(token))]
	return tenant, ok
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// dropConnections closes every gateway connection abruptly, as a network failure would.
// Tests use it to exercise reconnect-and-resend.
func (s *Server) dropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.qc.CloseWithError(CodeShuttingDown, "connection dropped")
	}
}
