// Command attractor runs midstream's attractor analyser against a NATS JetStream deployment:
// it analyses the numeric signals of streaming responses (log-probabilities, entropy, gaps,
// chunk lengths) as they grow, reports attractor classes and loops, and stops looping
// responses. Its configuration is the ms_config key attractor.config. See
// docs/services/attractor.md.
package main

import (
	"context"
	"flag"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/svc"
	"github.com/midstream/midstream/services/attractor"
)

func main() {
	fs := flag.NewFlagSet("attractor", flag.ExitOnError)
	source := fs.String("source", svc.Getenv("MIDSTREAM_ATTRACTOR_SOURCE", bus.StreamWork), "stream to analyse: WORK (behind the scheduler) or CHUNKS [MIDSTREAM_ATTRACTOR_SOURCE]")
	idle := fs.Duration("idle-timeout", 2*time.Minute, "end a response's analysis after this long without a chunk")
	svc.Main(attractor.Name, fs, func(ctx context.Context, env *svc.Env) error {
		a, err := attractor.New()
		if err != nil {
			return err
		}
		r, err := analysis.New(env.NC, analysis.Config{
			Name: attractor.Name, Source: *source, Partitions: env.Topo.Partitions, Only: env.Only,
			IdleTimeout: *idle, Logger: env.Log,
		}, a)
		if err != nil {
			return err
		}
		return r.Run(ctx)
	})
}
