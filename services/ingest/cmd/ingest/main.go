// Command ingest runs midstream's QUIC ingest service against a NATS JetStream deployment.
// Every flag has an environment variable; see docs/ingest.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/services/ingest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func run() error {
	var (
		natsURL     = flag.String("nats", env("MIDSTREAM_NATS_URL", "nats://127.0.0.1:4222"), "NATS server URLs, comma-separated (MIDSTREAM_NATS_URL)")
		creds       = flag.String("nats-creds", env("MIDSTREAM_NATS_CREDS", ""), "NATS credentials file (MIDSTREAM_NATS_CREDS)")
		listen      = flag.String("listen", env("MIDSTREAM_INGEST_ADDR", ":4433"), "QUIC listen address (MIDSTREAM_INGEST_ADDR)")
		certFile    = flag.String("cert", env("MIDSTREAM_INGEST_CERT", ""), "TLS certificate file, PEM (MIDSTREAM_INGEST_CERT)")
		keyFile     = flag.String("key", env("MIDSTREAM_INGEST_KEY", ""), "TLS key file, PEM (MIDSTREAM_INGEST_KEY)")
		certDir     = flag.String("cert-dir", env("MIDSTREAM_INGEST_CERT_DIR", "./data/tls"), "where a self-signed certificate is kept when -cert is not set (MIDSTREAM_INGEST_CERT_DIR)")
		tokensFile  = flag.String("tokens-file", env("MIDSTREAM_INGEST_TOKENS_FILE", ""), "bearer tokens, one \"token [tenant]\" per line; empty disables auth (MIDSTREAM_INGEST_TOKENS_FILE)")
		idle        = flag.Duration("idle-timeout", durEnv("MIDSTREAM_INGEST_IDLE_TIMEOUT", 60*time.Second), "close response streams idle this long (MIDSTREAM_INGEST_IDLE_TIMEOUT)")
		metricsAddr = flag.String("metrics", env("MIDSTREAM_METRICS_ADDR", ":9464"), "metrics and health HTTP address; empty disables (MIDSTREAM_METRICS_ADDR)")
		logFormat   = flag.String("log-format", env("MIDSTREAM_LOG_FORMAT", "json"), "json or text (MIDSTREAM_LOG_FORMAT)")
		logLevel    = flag.String("log-level", env("MIDSTREAM_LOG_LEVEL", "info"), "debug, info, warn, error (MIDSTREAM_LOG_LEVEL)")
	)
	flag.Parse()
	log, err := telemetry.NewLogger(os.Stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tel, err := telemetry.Setup(ctx, "ingest")
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()

	cfg := ingest.Config{Addr: *listen, CertFile: *certFile, KeyFile: *keyFile, CertDir: *certDir, IdleTimeout: *idle}
	if *tokensFile != "" {
		f, err := os.Open(*tokensFile)
		if err != nil {
			return err
		}
		cfg.Tokens, err = ingest.ParseTokens(f)
		_ = f.Close()
		if err != nil {
			return err
		}
		if len(cfg.Tokens) == 0 {
			return errors.New("tokens file " + *tokensFile + " holds no token; remove -tokens-file to run without authentication")
		}
	}
	nc, err := bus.Connect(ctx, bus.ConnConfig{URLs: strings.Split(*natsURL, ","), Name: "ingest", CredsFile: *creds}, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	srv, err := ingest.New(cfg, nc, log)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		health := telemetry.NewHealth()
		health.Add("nats", func() error {
			if !nc.IsConnected() {
				return errors.New("NATS not connected")
			}
			return nil
		})
		addr, _, err := telemetry.Serve(ctx, *metricsAddr, telemetry.Handler(tel.Registry, health))
		if err != nil {
			return err
		}
		log.Info("metrics listening", "addr", addr.String())
	}
	return srv.Serve(ctx)
}

func durEnv(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}
