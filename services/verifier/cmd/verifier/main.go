// Command verifier runs midstream's rule analyser against a NATS JetStream deployment: it
// monitors the temporal-logic rules of each response's policy (ms_config verifier.policies,
// over the propositions of verifier.props) and publishes verdicts and actions. See
// docs/services/verifier.md.
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
	"github.com/midstream/midstream/services/verifier"
)

func main() {
	fs := flag.NewFlagSet("verifier", flag.ExitOnError)
	policies := fs.String("policies", os.Getenv("MIDSTREAM_VERIFIER_POLICIES"), "JSON policies document stored as verifier.policies when that key is absent [MIDSTREAM_VERIFIER_POLICIES]")
	props := fs.String("props", os.Getenv("MIDSTREAM_VERIFIER_PROPS"), "JSON proposition set stored as verifier.props when that key is absent [MIDSTREAM_VERIFIER_PROPS]")
	source := fs.String("source", svc.Getenv("MIDSTREAM_VERIFIER_SOURCE", bus.StreamWork), "stream to analyse: WORK (behind the scheduler) or CHUNKS [MIDSTREAM_VERIFIER_SOURCE]")
	idle := fs.Duration("idle-timeout", 2*time.Minute, "end a response's analysis after this long without a chunk")
	svc.Main(verifier.Name, fs, func(ctx context.Context, env *svc.Env) error {
		for _, f := range []struct{ key, file string }{{verifier.KeyProps, *props}, {verifier.KeyPolicies, *policies}} {
			if f.file == "" {
				continue
			}
			data, err := os.ReadFile(f.file)
			if err != nil {
				return fmt.Errorf("%s: %w", f.key, err)
			}
			stored, err := verifier.Seed(ctx, env.JS, f.key, data)
			if err != nil {
				return fmt.Errorf("%s %s: %w", f.key, f.file, err)
			}
			env.Log.Info("seed", "key", verifier.ConfigKey(f.key), "file", f.file, "seeded", stored)
		}
		a, err := verifier.New()
		if err != nil {
			return err
		}
		defer a.Wait()
		r, err := analysis.New(env.NC, analysis.Config{
			Name: verifier.Name, Source: *source, Partitions: env.Topo.Partitions, Only: env.Only,
			IdleTimeout: *idle, Logger: env.Log,
		}, a)
		if err != nil {
			return err
		}
		return r.Run(ctx)
	})
}
