// Command compare runs midstream's compare analyser against a NATS JetStream deployment: it
// matches streaming responses against the reference library in ms_config (compare.references)
// and against earlier responses of their conversation, and detects self-repetition. See
// docs/services/compare.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/svc"
	"github.com/midstream/midstream/services/compare"
)

func main() {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	refs := fs.String("references", os.Getenv("MIDSTREAM_COMPARE_REFERENCES"), "JSON reference library stored as compare.references when that key is absent [MIDSTREAM_COMPARE_REFERENCES]")
	source := fs.String("source", svc.Getenv("MIDSTREAM_COMPARE_SOURCE", bus.StreamWork), "stream to analyse: WORK (behind the scheduler) or CHUNKS [MIDSTREAM_COMPARE_SOURCE]")
	idle := fs.Duration("idle-timeout", 2*time.Minute, "end a response's analysis after this long without a chunk")
	svc.Main(compare.Name, fs, func(ctx context.Context, env *svc.Env) error {
		if *refs != "" {
			data, err := os.ReadFile(*refs)
			if err != nil {
				return fmt.Errorf("references: %w", err)
			}
			stored, err := compare.SeedReferences(ctx, env.JS, data)
			if err != nil {
				return fmt.Errorf("references %s: %w", *refs, err)
			}
			env.Log.Info("reference library", "file", *refs, "seeded", stored)
		}
		a, err := compare.New()
		if err != nil {
			return err
		}
		r, err := analysis.New(env.NC, analysis.Config{
			Name: compare.Name, Source: *source, Partitions: env.Topo.Partitions, Only: env.Only,
			IdleTimeout: *idle, Logger: env.Log,
		}, a)
		if err != nil {
			return err
		}
		return r.Run(ctx)
	})
}
