package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/services/scheduler"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Overload mode: the gateway streams every response at once with no pacing, far more than the
// analysers can follow, and the scheduler's low and normal classes get rate limits well under
// the offered load. Critical and high stay unlimited and protected, so their chunks pass the
// scheduler within their deadlines while low is delayed and then shed (each shed chunk a
// verdict). The summary's scheduler section shows it per class.
const (
	overloadLowRate    = 40  // chunks per second released for class low
	overloadNormalRate = 400 // and for class normal
	overloadMaxConc    = 400
)

// overloadActive makes the scheduler's summary wait for the backlog to drain: under overload
// the demo's gateway finishes long before the pipeline does.
var overloadActive atomic.Bool

// awaitScheduler waits until the scheduler has had nothing to do for a second (at most d).
func awaitScheduler(ctx context.Context, nc *nats.Conn, out io.Writer, d time.Duration) {
	fmt.Fprintln(out, "demo: overload: waiting for the scheduler to work off its backlog")
	deadline := time.Now().Add(d)
	var last uint64
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := schedulerStats(ctx, nc)
		if err != nil {
			return
		}
		n := st.Service.Acked + st.Service.Duplicates + st.Service.Invalid
		if n == last && st.Depth == 0 {
			return
		}
		last = n
		time.Sleep(time.Second)
	}
}

// prepareOverload turns cfg into the overload run and sets the scheduler's rates through its
// micro endpoint; the returned function restores the rates that were in force.
func prepareOverload(ctx context.Context, cfg *demoConfig, nc *nats.Conn, out io.Writer) func() {
	overloadActive.Store(true)
	cfg.speed = 0
	cfg.concurrency = min(max(cfg.concurrency, cfg.responses), overloadMaxConc)
	fmt.Fprintf(out, "demo: overload mode: %d responses at once, no pacing\n", cfg.concurrency)
	if nc == nil {
		fmt.Fprintln(out, "demo: overload: no NATS connection (--nats-url); the scheduler keeps its configured rates (set MIDSTREAM_SCHEDULER_RATES=low=40,normal=400 on it)")
		return func() {}
	}
	// In the all-in-one the scheduler starts alongside the demo: give it a few seconds.
	st, err := schedulerStats(ctx, nc)
	for wait := 100 * time.Millisecond; err != nil && wait < 3*time.Second && ctx.Err() == nil; wait *= 2 {
		time.Sleep(wait)
		st, err = schedulerStats(ctx, nc)
	}
	if err != nil {
		fmt.Fprintln(out, "demo: overload: scheduler not reachable, rates unchanged:", err)
		return func() {}
	}
	prev := map[string]*sched.Rate{}
	for _, c := range st.Classes {
		prev[c.Class] = c.Limit
	}
	set := func(class string, r *sched.Rate) error {
		req := scheduler.SetRateRequest{Class: class, Unlimited: r == nil}
		if r != nil {
			req.PerSecond, req.Burst = r.PerSecond, r.Burst
		}
		body, _ := json.Marshal(req)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		msg, err := nc.RequestWithContext(rctx, scheduler.SubjectSetRate, body)
		if err != nil {
			return err
		}
		if code := msg.Header.Get("Nats-Service-Error-Code"); code != "" {
			return fmt.Errorf("set-rate %s: %s %s", class, code, msg.Header.Get("Nats-Service-Error"))
		}
		return nil
	}
	limits := map[string]*sched.Rate{
		"low":    {PerSecond: overloadLowRate, Burst: overloadLowRate / 4},
		"normal": {PerSecond: overloadNormalRate, Burst: overloadNormalRate / 10},
	}
	for class, r := range limits {
		if err := set(class, r); err != nil {
			fmt.Fprintln(out, "demo: overload:", err)
			continue
		}
		fmt.Fprintf(out, "demo: overload: scheduler class %s limited to %.0f chunks/s (burst %.0f)\n", class, r.PerSecond, r.Burst)
	}
	// Fixed priority: under EDF the demo's equal 50 ms deadlines would let long-waiting normal
	// chunks (earliest deadlines) go before fresh high ones whenever normal has tokens.
	restorePolicy := setPolicy(ctx, nc, "fp", out)
	return func() {
		restorePolicy()
		for class := range limits {
			if err := set(class, prev[class]); err != nil {
				fmt.Fprintln(out, "demo: overload: restoring", class, "rate:", err)
			}
		}
	}
}

// setPolicy writes scheduler.policy to ms_config and returns the function that restores the
// previous value (or deletes the key, which restores the scheduler's start-up policy).
func setPolicy(ctx context.Context, nc *nats.Conn, policy string, out io.Writer) func() {
	js, err := jetstream.New(nc)
	if err != nil {
		return func() {}
	}
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		fmt.Fprintln(out, "demo: overload: policy unchanged:", err)
		return func() {}
	}
	var prev []byte
	if e, err := kv.Get(ctx, scheduler.KeyPolicy); err == nil {
		prev = e.Value()
	}
	if _, err := kv.PutString(ctx, scheduler.KeyPolicy, policy); err != nil {
		fmt.Fprintln(out, "demo: overload: policy unchanged:", err)
		return func() {}
	}
	fmt.Fprintf(out, "demo: overload: scheduler policy %s (fixed priority)\n", policy)
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if prev != nil {
			_, _ = kv.Put(rctx, scheduler.KeyPolicy, prev)
		} else {
			_ = kv.Delete(rctx, scheduler.KeyPolicy)
		}
	}
}
