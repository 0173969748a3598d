package main

import (
	"bufio"
	"context"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// e2eInstance is the all-in-one started in-process by a test.
type e2eInstance struct {
	addrs runAddrs
	nc    *nats.Conn
	gw    *client.Conn
}

// e2eStart runs runAllInOne (embedded server, ingest, every registered service) on loopback
// with a temporary data directory, and stops it when the test ends.
func e2eStart(t *testing.T, opts ...telemetry.Option) *e2eInstance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan runAddrs, 1)
	done := make(chan error, 1)
	cfg := runConfig{
		dataDir: t.TempDir(), quicAddr: "127.0.0.1:0", httpAddr: "127.0.0.1:0", partitions: 4,
		telOpts: opts, ready: func(a runAddrs) { ready <- a },
	}
	go func() { done <- runAllInOne(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runAllInOne: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("runAllInOne did not stop within 30 s")
		}
	})
	inst := &e2eInstance{}
	select {
	case inst.addrs = <-ready:
	case err := <-done:
		t.Fatalf("runAllInOne returned before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the all-in-one did not start within 60 s")
	}
	e2eWaitFor(t, 30*time.Second, "readyz", func() bool {
		resp, err := http.Get("http://" + inst.addrs.HTTP.String() + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	nc, err := nats.Connect(inst.addrs.NATS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	inst.nc = nc
	gw, err := client.Dial(ctx, inst.addrs.QUIC.String(), client.WithInsecureSkipVerify(),
		client.WithPropagator(propagation.TraceContext{}), client.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	inst.gw = gw
	return inst
}

// e2eWaitFor polls cond until it holds or the timeout passes (bustest.Eventually, named by what).
func e2eWaitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	bustest.Eventually(t, timeout, cond, "waiting for %s", what)
}

// e2eLazy formats as its function's result at the time of formatting, so a failure message
// can show the last problem a polling condition saw.
type e2eLazy func() string

func (f e2eLazy) String() string { return f() }

// e2eAnalysed reads midstream_analysis_chunks_total per analyser from /metrics.
func (in *e2eInstance) analysed(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + in.addrs.HTTP.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "midstream_analysis_chunks_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `analyser="`)
		name, _, _ := strings.Cut(rest, `"`)
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			out[name] += int(v)
		}
	}
	return out
}

// e2eAnalysers are the registered services that analyse chunks through pkg/analysis (one
// "<name> analyse" span per chunk): every service except the scheduler, which feeds them, and
// metalearn, which learns from their verdicts.
func e2eAnalysers() []string {
	var out []string
	for _, s := range services {
		if s.name != "scheduler" && s.name != "metalearn" {
			out = append(out, s.name)
		}
	}
	return out
}

// e2eChunks is the traced response: prose, then an e-mail address the verifier's no_email
// policy stops, then the end.
var e2eChunks = []string{" Hello,", " the order", " ships today.", " Write to", " alice.smith@example.com", " for help."}

// e2eStream streams e2eChunks as one response under ctx's trace context and returns the
// actions the gateway received before the response closed.
func (in *e2eInstance) stream(t *testing.T, ctx context.Context, id string) []wire.Action {
	t.Helper()
	r, err := in.gw.StartResponse(ctx, id, &wire.Meta{Tenant: "e2e", Model: "test-llm", Provider: "test", Priority: wire.PriorityHigh})
	if err != nil {
		t.Fatal(err)
	}
	var got []wire.Action
	for i, text := range e2eChunks {
		c := wire.Chunk{Text: text}
		if i == len(e2eChunks)-1 {
			if err := r.CloseWithFinal(ctx, c); err != nil {
				t.Fatal(err)
			}
			break
		}
		if _, err := r.Send(ctx, c); err != nil {
			t.Fatal(err)
		}
		if i == 4 { // the chunk that completes the address: wait for the stop, as a gateway would
			select {
			case a := <-r.Actions():
				got = append(got, a)
			case <-time.After(30 * time.Second):
				t.Fatal("no action for the e-mail address within 30 s")
			}
		}
	}
	return got
}

// e2eGateway returns a context carrying a gateway span sampled or not by the gateway's own
// tracer provider (separate from the all-in-one's), and that span.
func e2eGateway(sampled bool) (context.Context, trace.Span, func()) {
	s := sdktrace.NeverSample()
	if sampled {
		s = sdktrace.AlwaysSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
	ctx, span := tp.Tracer("gateway").Start(context.Background(), "chat completion", trace.WithSpanKind(trace.SpanKindClient))
	return ctx, span, func() { span.End(); _ = tp.Shutdown(context.Background()) }
}
