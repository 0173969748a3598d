package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/services/scheduler"
	"github.com/nats-io/nats.go"
)

func init() {
	registerService(service{name: scheduler.Name, stage: 0, run: runScheduler})
	demoSummaryHooks = append(demoSummaryHooks, schedulerSummary)
}

// runScheduler runs the scheduler between CHUNKS and WORK. Its initial configuration comes
// from MIDSTREAM_SCHEDULER_CONFIG (a JSON file), MIDSTREAM_SCHEDULER_POLICY and
// MIDSTREAM_SCHEDULER_RATES (e.g. low=50:5); ms_config's scheduler.* keys change it live.
func runScheduler(ctx context.Context, h *host) error {
	log := h.Log.With("service", scheduler.Name)
	cfg, err := scheduler.InitialConfig(os.Getenv("MIDSTREAM_SCHEDULER_CONFIG"), os.Getenv("MIDSTREAM_SCHEDULER_POLICY"), os.Getenv("MIDSTREAM_SCHEDULER_RATES"))
	if err != nil {
		return err
	}
	parts := h.Topo.Partitions
	if parts == 0 {
		parts = bus.DefaultPartitions
	}
	s, err := scheduler.New(h.NC, scheduler.WithConfig(cfg), scheduler.WithPartitions(parts), scheduler.WithLogger(log))
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// schedulerStats asks the scheduler's micro endpoint for its statistics.
func schedulerStats(ctx context.Context, nc *nats.Conn) (*scheduler.Stats, error) {
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	msg, err := nc.RequestWithContext(rctx, scheduler.SubjectStats, nil)
	if err != nil {
		return nil, err
	}
	var st scheduler.Stats
	if err := json.Unmarshal(msg.Data, &st); err != nil {
		return nil, fmt.Errorf("scheduler stats: %w", err)
	}
	return &st, nil
}

// schedulerSummary prints released, delayed and shed chunks and deadline misses per class.
func schedulerSummary(ctx context.Context, nc *nats.Conn, out io.Writer) {
	if nc == nil {
		return
	}
	if overloadActive.Load() {
		awaitScheduler(ctx, nc, out, time.Minute)
	}
	st, err := schedulerStats(context.WithoutCancel(ctx), nc)
	if err != nil {
		fmt.Fprintln(out, "scheduler          statistics unavailable:", err)
		return
	}
	fmt.Fprintf(out, "scheduler (policy %s): chunks per class; wait = scheduler queueing, submission → release to WORK\n", st.Policy)
	fmt.Fprintf(out, "  %-9s %9s %8s %8s %7s %7s %7s  %-26s %s\n", "class", "released", "delayed", "shed", "forced", "misses", "budget", "wait p50 / p99 / max", "shed by reason")
	for _, c := range st.Classes {
		if c.Submitted == 0 && c.ShedTotal == 0 && c.Forced == 0 {
			continue
		}
		limit := ""
		if c.Limit != nil {
			limit = fmt.Sprintf("  (limit %.0f/s)", c.Limit.PerSecond)
		}
		fmt.Fprintf(out, "  %-9s %9d %8d %8d %7d %7d %5.0fms  %7.2f / %7.2f / %7.1f ms  %v%s\n", c.Class, c.Released, c.Delayed, c.ShedTotal,
			c.Forced, c.DeadlineMisses, c.BudgetMS, c.Wait.P50MS, c.Wait.P99MS, c.Wait.MaxMS, c.Shed, limit)
	}
	s := st.Service
	bad := map[string]uint64{}
	for k, n := range s.BadInput {
		if n > 0 {
			bad[k] = n
		}
	}
	fmt.Fprintf(out, "  forced = chunk 0 or final chunk forwarded instead of shed; responses rejected/degraded by admission %d/%d;\n"+
		"  redeliveries skipped %d; dead-lettered %d; bad metadata (scheduled at defaults) %v\n",
		sumRejected(st), sumDegraded(st), s.Duplicates, s.Invalid, bad)
}

func sumRejected(st *scheduler.Stats) (n uint64) {
	for _, c := range st.Classes {
		n += c.Rejected
	}
	return n
}

func sumDegraded(st *scheduler.Stats) (n uint64) {
	for _, c := range st.Classes {
		n += c.DegradedOut
	}
	return n
}
