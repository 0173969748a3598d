// Command metalearn runs midstream's learning service against a NATS JetStream deployment: it
// learns from verdicts, chunks and feedback, tunes the thresholds listed in ms_config
// (metalearn.targets) under safety constraints, and serves the "metalearn" micro service. See
// docs/services/metalearn.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/midstream/midstream/pkg/svc"
	"github.com/midstream/midstream/services/metalearn"
)

func main() {
	fs := flag.NewFlagSet(metalearn.Name, flag.ExitOnError)
	mode := fs.String("mode", svc.Getenv("MIDSTREAM_METALEARN_MODE", string(metalearn.ModeAuto)), "auto: apply proposals that pass safety and shadow evaluation; manual: apply only approved ones [MIDSTREAM_METALEARN_MODE]")
	targets := fs.String("targets", os.Getenv("MIDSTREAM_METALEARN_TARGETS"), "JSON file of threshold targets, added to metalearn.targets in ms_config [MIDSTREAM_METALEARN_TARGETS]")
	margin := fs.Float64("shadow-margin", 0, "mean utility per labelled response a change must gain in shadow evaluation (95% lower bound)")
	minShadow := fs.Int("shadow-min", 10, "fewest labelled responses of a rule a shadow evaluation runs on")
	svc.Main(metalearn.Name, fs, func(ctx context.Context, env *svc.Env) error {
		opts := []metalearn.Option{metalearn.WithMode(metalearn.Mode(*mode)), metalearn.WithLogger(env.Log),
			metalearn.WithShadow(*margin, *minShadow)}
		if *targets != "" {
			data, err := os.ReadFile(*targets)
			if err != nil {
				return fmt.Errorf("targets: %w", err)
			}
			ts, err := metalearn.ParseTargets(data)
			if err != nil {
				return fmt.Errorf("targets %s: %w", *targets, err)
			}
			opts = append(opts, metalearn.WithTargets(ts...))
		}
		s, err := metalearn.New(ctx, env.NC, opts...)
		if err != nil {
			return err
		}
		env.Log.Info("metalearn ready", "mode", *mode)
		return s.Run(ctx)
	})
}
