package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
)

func init() {
	register(command{name: "demo", summary: "stream synthetic LLM responses into a running midstream over QUIC", run: demoCmd})
}

// demoConfig configures the demo gateway.
type demoConfig struct {
	addr        string
	token       string
	insecure    bool
	natsURL     string
	responses   int
	concurrency int
	seed        uint64
	speed       float64
	progress    time.Duration
	overload    bool
}

func (c *demoConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.responses, "demo-responses", 300, "synthetic responses the demo streams")
	fs.IntVar(&c.concurrency, "demo-concurrency", 50, "responses streaming at once")
	fs.Uint64Var(&c.seed, "demo-seed", 1, "seed of the synthetic responses")
	fs.Float64Var(&c.speed, "demo-speed", 1, "pace multiplier (2 streams twice as fast; 0 streams as fast as possible)")
	fs.DurationVar(&c.progress, "demo-progress", time.Second, "interval of progress lines")
	fs.BoolVar(&c.overload, "demo-overload", false, "overload mode: every response at once, unpaced, with tight scheduler rates for low and normal (demo_overload.go)")
}

func demoCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var c demoConfig
	fs := flag.NewFlagSet("midstream demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", envOr("MIDSTREAM_DEMO_ADDR", "127.0.0.1:4433"), "QUIC address of midstream's ingest [MIDSTREAM_DEMO_ADDR]")
	fs.StringVar(&c.token, "token", os.Getenv("MIDSTREAM_TOKEN"), "bearer token [MIDSTREAM_TOKEN]")
	fs.BoolVar(&c.insecure, "insecure", false, "accept ingest's self-signed certificate (the all-in-one's)")
	fs.StringVar(&c.natsURL, "nats-url", os.Getenv("MIDSTREAM_NATS_URL"), "NATS URL, to measure gateway → NATS latency (optional) [MIDSTREAM_NATS_URL]")
	fs.BoolVar(&c.overload, "overload", false, "same as --demo-overload")
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var nc *nats.Conn
	if c.natsURL != "" {
		var err error
		if nc, err = nats.Connect(c.natsURL); err != nil {
			fmt.Fprintln(stderr, "midstream demo:", err)
			return 1
		}
		defer nc.Close()
	}
	if err := runDemo(ctx, c, nc, stdout); err != nil {
		fmt.Fprintln(stderr, "midstream demo:", err)
		return 1
	}
	return 0
}

// demoSummaryHooks print service-specific sections at the end of the demo summary (a service's
// file in this package appends to it from init); they get the demo's NATS connection.
var demoSummaryHooks []func(ctx context.Context, nc *nats.Conn, out io.Writer)

// demoStats are the demo's live counters and samples.
type demoStats struct {
	started, finished, stopped, failed atomic.Int64
	chunks, acked                      atomic.Int64
	mu                                 sync.Mutex
	ingestLat                          []time.Duration // chunk ts → seen on NATS
	actionLat                          []time.Duration // action ts → delivered to the gateway
	actions                            map[string]int  // "analyser/type" → count
	caught                             map[demoKind]map[string]bool
	kinds                              map[demoKind]int
	verdicts                           map[string]int             // "analyser kind status" → count
	verdictLat                         map[string][]time.Duration // analyser → chunk at ingest → verdict seen
	flagged                            []wire.Verdict             // verdicts that found something, for feedback
}

// runDemo streams cfg.responses synthetic responses through ingest at cfg.addr and prints live
// progress and a summary to out. nc, when not nil, measures the gateway → NATS latency.
func runDemo(ctx context.Context, cfg demoConfig, nc *nats.Conn, out io.Writer) error {
	if cfg.responses < 1 || cfg.concurrency < 1 {
		return errors.New("demo: responses and concurrency must be at least 1")
	}
	if cfg.speed < 0 {
		return errors.New("demo: speed must not be negative")
	}
	if cfg.overload {
		defer prepareOverload(ctx, &cfg, nc, out)()
	}
	st := &demoStats{actions: map[string]int{}, caught: map[demoKind]map[string]bool{}, kinds: map[demoKind]int{},
		verdicts: map[string]int{}, verdictLat: map[string][]time.Duration{}}
	mix := []demoKind{kindNormal, kindLoop, kindNormal, kindPII, kindNormal, kindToolRule, kindNormal, kindLeak}
	all := make([]demoResponse, cfg.responses)
	kindOf := map[string]demoKind{}
	for i := range all {
		all[i] = genDemoResponse(cfg.seed, i, mix)
		kindOf[all[i].id] = all[i].kind
		st.kinds[all[i].kind]++
	}

	if nc != nil {
		sub, err := nc.Subscribe(wire.InWildcard, func(m *nats.Msg) {
			var c struct {
				Time time.Time `json:"ts"`
			}
			if json.Unmarshal(m.Data, &c) == nil && !c.Time.IsZero() {
				st.mu.Lock()
				st.ingestLat = append(st.ingestLat, time.Since(c.Time))
				st.mu.Unlock()
			}
		})
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
		vsub, err := nc.Subscribe(wire.VerdictWildcard, func(m *nats.Msg) {
			v, err := wire.DecodeVerdict(m.Header.Get(wire.HeaderSchema), m.Data)
			if err != nil {
				return
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			st.verdicts[v.Analyser+" "+v.Kind+" "+v.Status]++
			if flagged(v) {
				st.flagged = append(st.flagged, *v)
			}
			if ns, err := strconv.ParseInt(m.Header.Get(wire.HeaderReceived), 10, 64); err == nil {
				st.verdictLat[v.Analyser] = append(st.verdictLat[v.Analyser], time.Since(time.Unix(0, ns)))
			}
		})
		if err != nil {
			return err
		}
		defer func() { _ = vsub.Unsubscribe() }()
	}

	opts := []client.Option{client.WithClientName("midstream-demo")}
	if cfg.token != "" {
		opts = append(opts, client.WithToken(cfg.token))
	}
	if cfg.insecure {
		opts = append(opts, client.WithInsecureSkipVerify())
	}
	conn, err := client.Dial(ctx, cfg.addr, opts...)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()

	fmt.Fprintf(out, "demo: streaming %d responses (%d at a time) to %s\n", cfg.responses, cfg.concurrency, cfg.addr)
	begin := time.Now()
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(all) {
					return
				}
				streamOne(ctx, conn, &all[i], cfg, st, kindOf)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(max(cfg.progress, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-done:
			printProgress(out, st, cfg.responses, time.Since(begin))
			// Verdicts and actions for the last chunks may still be in flight.
			settle(ctx, st, 2*time.Second)
			if nc != nil {
				sendFeedback(ctx, nc, st, kindOf, out)
			}
			printSummary(out, st, kindOf, time.Since(begin))
			for _, h := range demoSummaryHooks {
				h(ctx, nc, out)
			}
			return ctx.Err()
		case <-tick.C:
			printProgress(out, st, cfg.responses, time.Since(begin))
		case <-ctx.Done():
			<-done
			printSummary(out, st, kindOf, time.Since(begin))
			return nil
		}
	}
}

// settle waits until no action has arrived for a short while, at most d.
func settle(ctx context.Context, st *demoStats, d time.Duration) {
	deadline := time.Now().Add(d)
	last := -1
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st.mu.Lock()
		n := len(st.actionLat)
		st.mu.Unlock()
		if n == last {
			return
		}
		last = n
		time.Sleep(300 * time.Millisecond)
	}
}

func streamOne(ctx context.Context, conn *client.Conn, d *demoResponse, cfg demoConfig, st *demoStats, kindOf map[string]demoKind) {
	st.started.Add(1)
	stop := make(chan struct{})
	var stopOnce sync.Once
	onAction := func(a wire.Action) {
		lat := time.Since(a.Time)
		st.mu.Lock()
		st.actionLat = append(st.actionLat, lat)
		st.actions[a.Analyser+"/"+string(a.Type)]++
		k := kindOf[a.Stream]
		if st.caught[k] == nil {
			st.caught[k] = map[string]bool{}
		}
		st.caught[k][a.Stream] = true
		st.mu.Unlock()
		if a.Type == wire.ActionStop {
			stopOnce.Do(func() { close(stop) })
		}
	}
	meta := d.meta
	resp, err := conn.StartResponse(ctx, d.id, &meta, client.WithActionHandler(onAction))
	if err != nil {
		st.failed.Add(1)
		return
	}
	r := rand.New(rand.NewPCG(cfg.seed, uint64(len(d.id))))
	finish := "stop"
	for _, c := range d.chunks {
		select {
		case <-stop:
			finish = "cancelled"
		default:
		}
		if finish == "cancelled" || ctx.Err() != nil {
			break
		}
		if _, err := resp.Send(ctx, c); err != nil {
			st.failed.Add(1)
			return
		}
		st.chunks.Add(1)
		if cfg.speed > 0 {
			time.Sleep(time.Duration(d.gapMS * (0.5 + r.Float64()) / cfg.speed * float64(time.Millisecond)))
		}
	}
	if finish == "cancelled" {
		st.stopped.Add(1)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := resp.CloseWithFinal(cctx, wire.Chunk{FinishReason: finish}); err != nil {
		st.failed.Add(1)
		return
	}
	st.chunks.Add(1)
	st.acked.Add(int64(resp.Acked()))
	st.finished.Add(1)
}

func printProgress(out io.Writer, st *demoStats, total int, el time.Duration) {
	st.mu.Lock()
	nact := len(st.actionLat)
	st.mu.Unlock()
	fmt.Fprintf(out, "[%5.1fs] responses %d/%d done, %d streaming | chunks %d (%.0f/s) | actions %d\n",
		el.Seconds(), st.finished.Load(), total, st.started.Load()-st.finished.Load()-st.failed.Load(),
		st.chunks.Load(), float64(st.chunks.Load())/el.Seconds(), nact)
}

func printSummary(out io.Writer, st *demoStats, kindOf map[string]demoKind, el time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	fmt.Fprintln(out)
	fmt.Fprintln(out, "== midstream demo summary ==")
	fmt.Fprintf(out, "responses          %d finished, %d stopped mid-stream by an action, %d failed\n", st.finished.Load(), st.stopped.Load(), st.failed.Load())
	fmt.Fprintf(out, "chunks             %d sent, %d acknowledged as stored in JetStream\n", st.chunks.Load(), st.acked.Load())
	fmt.Fprintf(out, "throughput         %.0f chunks/s over %.1fs\n", float64(st.chunks.Load())/el.Seconds(), el.Seconds())
	if len(st.ingestLat) > 0 {
		fmt.Fprintf(out, "gateway → NATS     %s\n", percentiles(st.ingestLat))
	}
	fmt.Fprintf(out, "actions received   %d", len(st.actionLat))
	if len(st.actionLat) > 0 {
		fmt.Fprintf(out, " (action published → at gateway %s)", percentiles(st.actionLat))
	}
	fmt.Fprintln(out)
	keys := make([]string, 0, len(st.actions))
	for k := range st.actions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "  %-24s %d\n", k, st.actions[k])
	}
	if len(st.verdicts) > 0 {
		fmt.Fprintln(out, "verdicts (analyser kind status):")
		keys := make([]string, 0, len(st.verdicts))
		for k := range st.verdicts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(out, "  %-40s %d\n", k, st.verdicts[k])
		}
		names := make([]string, 0, len(st.verdictLat))
		for a := range st.verdictLat {
			names = append(names, a)
		}
		sort.Strings(names)
		fmt.Fprintln(out, "inflight latency, chunk at ingest → verdict seen by the gateway side:")
		for _, a := range names {
			fmt.Fprintf(out, "  %-10s %s\n", a, percentiles(st.verdictLat[a]))
		}
	}
	found := map[demoKind]map[string]bool{}
	for _, v := range st.flagged {
		if v.Analyser == "scheduler" {
			continue
		}
		k := kindOf[v.Stream]
		if found[k] == nil {
			found[k] = map[string]bool{}
		}
		found[k][v.Stream] = true
	}
	fmt.Fprintln(out, "responses by kind: with a finding (verdict) / with an action at the gateway:")
	for _, k := range []demoKind{kindNormal, kindLoop, kindPII, kindToolRule, kindLeak} {
		fmt.Fprintf(out, "  %-10s %3d / %3d of %3d\n", k, len(found[k]), len(st.caught[k]), st.kinds[k])
	}
}

// percentiles formats p50/p90/p99/max of ds.
func percentiles(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	var b strings.Builder
	fmt.Fprintf(&b, "p50 %s  p90 %s  p99 %s  max %s  (n=%d)", round(q(0.5)), round(q(0.9)), round(q(0.99)), round(s[len(s)-1]), len(s))
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// flagged says whether a verdict reports a finding (as opposed to a classification that found
// nothing, or a rule that holds).
func flagged(v *wire.Verdict) bool {
	switch v.Status {
	case "detected", "false", "violated", "shed":
		return true
	}
	return v.Action != ""
}

// sendFeedback plays the labeller: the demo knows what each response really was, so every
// finding on an ordinary response is a false positive and every finding on a response built to
// misbehave is a true positive. metalearn learns from these labels.
func sendFeedback(ctx context.Context, nc *nats.Conn, st *demoStats, kindOf map[string]demoKind, out io.Writer) {
	st.mu.Lock()
	verdicts := slices.Clone(st.flagged)
	st.mu.Unlock()
	seen := map[string]bool{}
	var tp, fp int
	for _, v := range verdicts {
		key := v.Stream + "/" + v.Analyser + "/" + v.Rule
		if seen[key] || v.Analyser == "scheduler" {
			continue
		}
		seen[key] = true
		k, ok := kindOf[v.Stream]
		if !ok {
			continue
		}
		label := wire.LabelTruePositive
		if k == kindNormal {
			label = wire.LabelFalsePositive
			fp++
		} else {
			tp++
		}
		fb := wire.Feedback{Stream: v.Stream, Analyser: v.Analyser, Rule: v.Rule, Label: label, Source: "midstream-demo", Time: time.Now().UTC()}
		m := nats.NewMsg(wire.FeedbackSubject(v.Stream))
		m.Data, _ = json.Marshal(fb)
		m.Header.Set(wire.HeaderSchema, wire.SchemaFeedback)
		if err := nc.PublishMsg(m); err != nil {
			fmt.Fprintln(out, "demo: feedback:", err)
			return
		}
	}
	_ = nc.FlushWithContext(ctx)
	if tp+fp > 0 {
		fmt.Fprintf(out, "feedback sent      %d true positives, %d false positives\n", tp, fp)
	}
}
