package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures an in-process nats-server with JetStream.
type EmbeddedConfig struct {
	// StoreDir is where JetStream keeps its file store. Required: an embedded server with a
	// temporary store would lose the durable record on restart without anyone noticing.
	StoreDir string
	// Host to listen on; default 127.0.0.1.
	Host string
	// Port to listen on; -1 picks a free port (tests), 0 means the NATS default 4222.
	Port int
	// HTTPPort enables the NATS monitoring endpoint when > 0 (-1 picks a free port).
	HTTPPort int
	// SyncInterval is how often JetStream fsyncs; 0 keeps the server default (2 minutes). Set
	// it to `always` semantics with a negative value. See docs/operations.md for the trade-off.
	SyncInterval time.Duration
	// MaxMemory and MaxStore bound JetStream's memory and disk use (0: server defaults).
	MaxMemory, MaxStore int64
	// ServerName names the server (useful in logs and clusters).
	ServerName string
	// Logs enables nats-server's own logging to stderr.
	Logs bool
	// ReadyTimeout bounds the wait for the server to accept connections; default 10s.
	ReadyTimeout time.Duration
	// Configure, if set, edits the server options last (accounts, users, TLS, cluster routes).
	Configure func(*server.Options)
}

// Embedded is a running in-process nats-server.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a nats-server with JetStream in this process and waits until it accepts
// connections or ctx ends.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("bus: embedded server needs a StoreDir")
	}
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		Host:               cfg.Host,
		Port:               cfg.Port,
		HTTPPort:           cfg.HTTPPort,
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		NoSigs:             true,
		NoLog:              !cfg.Logs,
		// Chunks are at most wire.MaxChunkBytes plus headers; verdict evidence is capped too.
		MaxPayload: 2 << 20,
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	switch {
	case cfg.SyncInterval < 0:
		opts.SyncAlways = true
	case cfg.SyncInterval > 0:
		opts.SyncInterval = cfg.SyncInterval
	}
	if cfg.Configure != nil {
		cfg.Configure(opts)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded server: %w", err)
	}
	if cfg.Logs {
		srv.ConfigureLogger()
	}
	go srv.Start()
	timeout := cfg.ReadyTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	if !srv.ReadyForConnections(timeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("bus: embedded server not ready after %s", timeout)
	}
	return &Embedded{srv: srv}, nil
}

// ClientURL is the URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Server exposes the underlying server (monitoring, tests).
func (e *Embedded) Server() *server.Server { return e.srv }

// Shutdown stops the server and waits for it to finish.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
