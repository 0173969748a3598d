// Package svc is the common start-up of midstream's service binaries: flags and environment
// variables for NATS, telemetry and the HTTP endpoints, signal handling and graceful shutdown,
// so that each service's main only says what the service runs.
package svc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Env is what a service runs with.
type Env struct {
	Name   string
	NC     *nats.Conn
	JS     jetstream.JetStream
	Log    *slog.Logger
	Health *telemetry.Health
	Topo   bus.Topology
	// Only is the set of partitions this replica serves (empty: all, the priority group
	// decides which replica is active).
	Only []int
}

// Flags are the common settings, each also read from an environment variable.
type Flags struct {
	NATSURL    string
	Creds      string
	NKey       string
	TLSCA      string
	TLSCert    string
	TLSKey     string
	HTTPAddr   string
	Partitions int
	Only       string
	Replicas   int
	Provision  bool
	LogFormat  string
	LogLevel   string
}

// Register adds the common flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.NATSURL, "nats-url", Getenv("MIDSTREAM_NATS_URL", "nats://127.0.0.1:4222"), "NATS servers, comma-separated [MIDSTREAM_NATS_URL]")
	fs.StringVar(&f.Creds, "nats-creds", os.Getenv("MIDSTREAM_NATS_CREDS"), "NATS credentials file [MIDSTREAM_NATS_CREDS]")
	fs.StringVar(&f.NKey, "nats-nkey", os.Getenv("MIDSTREAM_NATS_NKEY"), "NATS nkey seed file [MIDSTREAM_NATS_NKEY]")
	fs.StringVar(&f.TLSCA, "nats-tls-ca", os.Getenv("MIDSTREAM_NATS_TLS_CA"), "CA bundle for NATS TLS [MIDSTREAM_NATS_TLS_CA]")
	fs.StringVar(&f.TLSCert, "nats-tls-cert", os.Getenv("MIDSTREAM_NATS_TLS_CERT"), "client certificate for NATS TLS [MIDSTREAM_NATS_TLS_CERT]")
	fs.StringVar(&f.TLSKey, "nats-tls-key", os.Getenv("MIDSTREAM_NATS_TLS_KEY"), "client key for NATS TLS [MIDSTREAM_NATS_TLS_KEY]")
	fs.StringVar(&f.HTTPAddr, "http-addr", Getenv("MIDSTREAM_HTTP_ADDR", ":9464"), "address of /metrics, /healthz, /readyz [MIDSTREAM_HTTP_ADDR]")
	fs.IntVar(&f.Partitions, "partitions", EnvInt("MIDSTREAM_PARTITIONS", bus.DefaultPartitions), "partition count of the topology [MIDSTREAM_PARTITIONS]")
	fs.StringVar(&f.Only, "only-partitions", os.Getenv("MIDSTREAM_ONLY_PARTITIONS"), "serve only these partitions, e.g. 0-3,8 (default all) [MIDSTREAM_ONLY_PARTITIONS]")
	fs.IntVar(&f.Replicas, "stream-replicas", EnvInt("MIDSTREAM_STREAM_REPLICAS", 1), "JetStream stream replicas when provisioning (3 on a cluster) [MIDSTREAM_STREAM_REPLICAS]")
	fs.BoolVar(&f.Provision, "provision", EnvBool("MIDSTREAM_PROVISION", true), "create or update streams and buckets at start [MIDSTREAM_PROVISION]")
	fs.StringVar(&f.LogFormat, "log-format", Getenv("MIDSTREAM_LOG_FORMAT", "json"), "log format: json or text [MIDSTREAM_LOG_FORMAT]")
	fs.StringVar(&f.LogLevel, "log-level", Getenv("MIDSTREAM_LOG_LEVEL", "info"), "log level [MIDSTREAM_LOG_LEVEL]")
}

// Main parses the common flags (plus any the caller registered on fs), connects, provisions
// and serves the HTTP endpoints, then calls run until SIGINT/SIGTERM. It exits the process.
func Main(name string, fs *flag.FlagSet, run func(ctx context.Context, env *Env) error) {
	var f Flags
	f.Register(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log, err := telemetry.NewLogger(os.Stderr, f.LogFormat, f.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	if err := Start(ctx, name, f, log, run); err != nil {
		log.Error(name+" failed", "err", err)
		os.Exit(1)
	}
}

// Start is Main without flag parsing and exit, for tests and the all-in-one.
func Start(ctx context.Context, name string, f Flags, log *slog.Logger, run func(ctx context.Context, env *Env) error) error {
	only, err := ParsePartitions(f.Only, f.Partitions)
	if err != nil {
		return err
	}
	tel, err := telemetry.Setup(ctx, "midstream-"+name)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	cc := bus.ConnConfig{URLs: []string{f.NATSURL}, Name: name, CredsFile: f.Creds, NKeyFile: f.NKey}
	if f.TLSCA != "" || f.TLSCert != "" {
		if cc.TLS, err = tlsConfig(f.TLSCA, f.TLSCert, f.TLSKey); err != nil {
			return err
		}
	}
	nc, err := bus.Connect(ctx, cc, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	topo := bus.Topology{Partitions: f.Partitions, Replicas: f.Replicas}
	if f.Provision {
		if err := bus.Provision(ctx, js, topo); err != nil {
			return err
		}
	}
	health := telemetry.NewHealth()
	health.Add("nats", func() error {
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("connection %s", st)
		}
		return nil
	})
	hctx, hcancel := context.WithCancel(ctx)
	defer hcancel()
	addr, _, err := telemetry.Serve(hctx, f.HTTPAddr, telemetry.Handler(tel.Registry, health))
	if err != nil {
		return err
	}
	log.Info(name+" starting", "nats", nc.ConnectedUrlRedacted(), "http", addr.String(), "partitions", f.Partitions)
	err = run(ctx, &Env{Name: name, NC: nc, JS: js, Log: log, Health: health, Topo: topo, Only: only})
	// Drain: finish in-flight handlers' publishes and deliver buffered messages.
	if derr := nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
		log.Warn("drain", "err", derr)
	}
	return err
}

// ParsePartitions parses "0-3,8" into partition numbers below n; "" is nil (all).
func ParsePartitions(s string, n int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= n {
			return nil, fmt.Errorf("svc: partitions %q: %q is not a partition or range within 0..%d", s, part, n-1)
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func tlsConfig(ca, cert, key string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("svc: NATS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("svc: NATS CA %s holds no certificate", ca)
		}
		tc.RootCAs = pool
	}
	if cert != "" || key != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("svc: NATS client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

// Getenv returns the environment variable name's value, or def when it is unset or empty.
func Getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// EnvInt is Getenv for integers; an unparsable value yields def.
func EnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// EnvBool is Getenv for booleans; an unparsable value yields def.
func EnvBool(name string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return b
	}
	return def
}
