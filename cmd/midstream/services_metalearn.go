package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/midstream/midstream/services/metalearn"
	"github.com/nats-io/nats.go"
)

func init() {
	registerService(service{name: metalearn.Name, stage: 20, run: runMetalearn})
	demoSummaryHooks = append(demoSummaryHooks, metalearnSummary)
}

// runMetalearn runs the learning service in the all-in-one. MIDSTREAM_METALEARN_MODE=manual
// makes it wait for approvals. Thresholds to tune come from ms_config (metalearn.targets); the
// all-in-one seeds none, because no analyser of this build reads a numeric threshold key yet, so
// in the demo metalearn learns baselines, rates and patterns and proposes mined patterns (every
// 32 violations of a tenant/model rather than 256, so that a short demo gets there).
func runMetalearn(ctx context.Context, h *host) error {
	mode := metalearn.Mode(os.Getenv("MIDSTREAM_METALEARN_MODE"))
	if mode == "" {
		mode = metalearn.ModeAuto
	}
	s, err := metalearn.New(ctx, h.NC, metalearn.WithMode(mode), metalearn.WithLogger(h.Log.With("service", metalearn.Name)),
		metalearn.WithPatternEvery(32), metalearn.WithFeedbackRate(50, 1000))
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// metalearnStatus asks the metalearn micro service for its status.
func metalearnStatus(ctx context.Context, nc *nats.Conn) (*metalearn.Status, error) {
	data, err := callMetalearn(ctx, nc, "status", nil, time.Second)
	if err != nil {
		return nil, err
	}
	var st metalearn.Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// metalearnSummary prints what metalearn learned and changed during the demo. The demo's
// feedback arrives just before, so it polls the status until the count of feedback messages
// handled stops moving (at most 3 s).
func metalearnSummary(ctx context.Context, nc *nats.Conn, out io.Writer) {
	if nc == nil {
		return
	}
	var st *metalearn.Status
	var last uint64
	stable := 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s, err := metalearnStatus(ctx, nc)
		if err != nil {
			fmt.Fprintln(out, "metalearn          not available:", err)
			return
		}
		st = s
		if n := s.Counters.Feedback; n == last && n > 0 {
			if stable++; stable >= 2 {
				break
			}
		} else {
			last, stable = n, 0
		}
		select {
		case <-ctx.Done():
		case <-time.After(150 * time.Millisecond):
		}
	}
	if st == nil {
		return
	}
	c := st.Counters
	fmt.Fprintln(out)
	fmt.Fprintf(out, "metalearn (%s mode)  %d responses observed, %d labels accepted of %d", st.Mode, c.Observed, c.LabelsAccepted, c.Feedback)
	if refused := c.UnknownStream + c.UnknownRule + c.Duplicate + c.Flood + c.InvalidFeedback + c.CapacityFeedback; refused > 0 {
		fmt.Fprintf(out, " (refused: %d unknown stream, %d unknown rule, %d duplicate, %d over the tenant rate, %d invalid)",
			c.UnknownStream, c.UnknownRule, c.Duplicate, c.Flood, c.InvalidFeedback)
	}
	fmt.Fprintln(out)
	for _, b := range st.Level1 {
		fmt.Fprintf(out, "  baseline %s/%s: %d responses", b.Tenant, b.Model, b.Responses)
		for _, sg := range b.Signals {
			if sg.Name == "tokens" {
				fmt.Fprintf(out, ", tokens p50 %.0f p90 %.0f", sg.P50, sg.P90)
			}
		}
		fmt.Fprintln(out)
		for _, r := range b.FPRates {
			if r.Trials > 0 {
				fmt.Fprintf(out, "    false positives %s/%s: %d of %d labelled (95%% CI %.2f-%.2f)\n", r.Analyser, r.Rule, r.Hits, r.Trials, r.Lo, r.Hi)
			}
		}
		for i, p := range b.Patterns {
			if i == 3 {
				break
			}
			fmt.Fprintf(out, "    pattern before violations: %q in %d of %d violating windows (lift %.1f)\n",
				strings.Join(p.Tokens, " "), p.ViolLow, p.Violating, p.Lift)
		}
	}
	sm := st.Summary
	made := sm.Pending + sm.Applied + sm.Rejected + sm.RolledBack
	fmt.Fprintf(out, "  proposals: %d made, %d applied, %d rejected, %d rolled back, %d pending; configuration revision %d\n",
		made, sm.Applied, sm.Rejected, sm.RolledBack, sm.Pending, sm.Revision)
	shown := 0
	for i := len(st.Recent) - 1; i >= 0 && shown < 5; i-- {
		p := st.Recent[i]
		line := fmt.Sprintf("    #%d %s %s = %s (level %d): %s", p.ID, p.Status, p.KVKey, p.New, p.Level, p.Reason)
		if p.Rejection != "" {
			line += "; rejected by " + p.Rule + ": " + p.Rejection
		}
		fmt.Fprintln(out, line)
		shown++
	}
	if len(st.Targets) == 0 {
		fmt.Fprintln(out, "  no thresholds to tune (set metalearn.targets in ms_config); see docs/services/metalearn.md")
	}
}
