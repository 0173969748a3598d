package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/services/ingest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func init() {
	register(command{name: "run", summary: "start the all-in-one: embedded nats-server and every service", run: runCmd})
}

// runConfig is the all-in-one's configuration; every flag also reads an environment variable
// (named in the flag's help) so that containers are configured without arguments.
type runConfig struct {
	natsURL    string
	dataDir    string
	quicAddr   string
	httpAddr   string
	partitions int
	tokensFile string
	logFormat  string
	logLevel   string
	syncEvery  time.Duration
	demo       bool
	demoCfg    demoConfig
	// telOpts and ready are for in-process callers (the end-to-end tests): extra telemetry
	// options (a span recorder), and a callback told the bound addresses once every service
	// has been started. No flag sets them.
	telOpts []telemetry.Option
	ready   func(runAddrs)
}

// runAddrs are the addresses the all-in-one bound.
type runAddrs struct {
	NATS string   // client URL of the bus
	QUIC net.Addr // QUIC ingest
	HTTP net.Addr // metrics and health
}

func runCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var cfg runConfig
	fs := flag.NewFlagSet("midstream run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.natsURL, "nats-url", os.Getenv("MIDSTREAM_NATS_URL"), "NATS servers to use instead of the embedded one (comma-separated) [MIDSTREAM_NATS_URL]")
	fs.StringVar(&cfg.dataDir, "data-dir", envOr("MIDSTREAM_DATA_DIR", ".midstream"), "directory for the embedded JetStream store and the generated TLS certificate [MIDSTREAM_DATA_DIR]")
	fs.StringVar(&cfg.quicAddr, "quic-addr", envOr("MIDSTREAM_QUIC_ADDR", ":4433"), "UDP address of the QUIC ingest [MIDSTREAM_QUIC_ADDR]")
	fs.StringVar(&cfg.httpAddr, "http-addr", envOr("MIDSTREAM_HTTP_ADDR", ":9464"), "address of /metrics, /healthz and /readyz [MIDSTREAM_HTTP_ADDR]")
	fs.IntVar(&cfg.partitions, "partitions", envInt("MIDSTREAM_PARTITIONS", bus.DefaultPartitions), "CHUNKS/WORK partition count [MIDSTREAM_PARTITIONS]")
	fs.StringVar(&cfg.tokensFile, "tokens-file", os.Getenv("MIDSTREAM_TOKENS_FILE"), "gateway bearer tokens, one 'token [tenant]' per line; empty disables authentication [MIDSTREAM_TOKENS_FILE]")
	fs.StringVar(&cfg.logFormat, "log-format", envOr("MIDSTREAM_LOG_FORMAT", "text"), "log format: text or json [MIDSTREAM_LOG_FORMAT]")
	fs.StringVar(&cfg.logLevel, "log-level", envOr("MIDSTREAM_LOG_LEVEL", "info"), "log level: debug, info, warn, error [MIDSTREAM_LOG_LEVEL]")
	fs.DurationVar(&cfg.syncEvery, "sync-interval", 0, "embedded JetStream fsync interval (0: server default of 2m; -1ns: fsync every write)")
	fs.BoolVar(&cfg.demo, "demo", false, "stream the demo through this instance, print the summary and exit")
	cfg.demoCfg.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "midstream run: unexpected arguments %q\n", fs.Args())
		return 2
	}
	log, err := telemetry.NewLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "midstream run:", err)
		return 2
	}
	if err := runAllInOne(ctx, cfg, log, stdout); err != nil {
		log.Error("midstream run failed", "err", err)
		return 1
	}
	return 0
}

// runAllInOne starts the bus (embedded unless a URL is given), provisions it, and runs every
// service in this process until ctx ends or, with the demo, until the demo is done.
func runAllInOne(ctx context.Context, cfg runConfig, log *slog.Logger, stdout io.Writer) error {
	tel, err := telemetry.Setup(ctx, "midstream", cfg.telOpts...)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	tokens, err := readTokens(cfg.tokensFile)
	if err != nil {
		return err
	}
	urls := cfg.natsURL
	if urls == "" {
		srv, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{
			StoreDir: filepath.Join(cfg.dataDir, "jetstream"), Port: -1, ServerName: "midstream-embedded", SyncInterval: cfg.syncEvery,
		})
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		urls = srv.ClientURL()
		log.Info("embedded nats-server started", "url", urls, "store", filepath.Join(cfg.dataDir, "jetstream"))
	}
	nc, err := bus.Connect(ctx, bus.ConnConfig{URLs: []string{urls}, Name: "midstream"}, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	topo := bus.Topology{Partitions: cfg.partitions}
	if err := bus.Provision(ctx, js, topo); err != nil {
		return err
	}

	health := telemetry.NewHealth()
	health.Add("nats", func() error {
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("connection %s", st)
		}
		return nil
	})
	g := newGroup(ctx, log)
	httpAddr, httpDone, err := telemetry.Serve(g.ctx, cfg.httpAddr, telemetry.Handler(tel.Registry, health))
	if err != nil {
		return err
	}
	g.Go("http", func(ctx context.Context) error { return <-httpDone })
	log.Info("metrics and health", "addr", httpAddr.String())

	in, err := ingest.New(ingest.Config{Addr: cfg.quicAddr, CertDir: filepath.Join(cfg.dataDir, "tls"), Tokens: tokens}, nc, log)
	if err != nil {
		return err
	}
	g.Go("ingest", in.Serve)
	log.Info("QUIC ingest listening", "addr", in.Addr().String())

	h := &host{NC: nc, JS: js, Log: log, Topo: topo, Health: health, Source: bus.StreamChunks, DataDir: cfg.dataDir}
	if hasService("scheduler") {
		h.Source = bus.StreamWork
	}
	for _, s := range services {
		log.Info("starting service", "service", s.name)
		g.Go(s.name, func(ctx context.Context) error { return s.run(ctx, h) })
	}
	if cfg.ready != nil {
		cfg.ready(runAddrs{NATS: urls, QUIC: in.Addr(), HTTP: httpAddr})
	}

	if cfg.demo {
		dc := cfg.demoCfg
		dc.addr = in.Addr().String()
		dc.insecure = true // the all-in-one's certificate is self-signed
		for tok := range tokens {
			dc.token = tok
			break
		}
		g.Go("demo", func(ctx context.Context) error {
			err := runDemo(ctx, dc, nc, stdout)
			g.Stop()
			return err
		})
	}
	err = g.Wait()
	if err == nil && ctx.Err() != nil {
		log.Info("midstream stopped", "reason", context.Cause(ctx))
	}
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// readTokens reads 'token [tenant]' lines; '#' starts a comment.
func readTokens(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	tokens := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		switch len(fields) {
		case 0:
			continue
		case 1:
			tokens[fields[0]] = ""
		case 2:
			tokens[fields[0]] = fields[1]
		default:
			return nil, fmt.Errorf("tokens file %s:%d: want 'token [tenant]'", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, errors.New("tokens file " + path + " holds no token")
	}
	return tokens, nil
}
