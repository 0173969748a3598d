// Command scheduler runs midstream's scheduler service against a NATS JetStream deployment:
// it consumes CHUNKS, releases chunks to WORK by priority class, deadline and rate, records
// shed chunks as verdicts and serves the "scheduler" micro service. See
// docs/services/scheduler.md.
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/midstream/midstream/pkg/svc"
	"github.com/midstream/midstream/services/scheduler"
)

func main() {
	fs := flag.NewFlagSet(scheduler.Name, flag.ExitOnError)
	cfgFile := fs.String("config", os.Getenv("MIDSTREAM_SCHEDULER_CONFIG"), "JSON file of the scheduling configuration (sched.Config; absent fields keep their defaults) [MIDSTREAM_SCHEDULER_CONFIG]")
	policy := fs.String("policy", os.Getenv("MIDSTREAM_SCHEDULER_POLICY"), "policy: fp, rm, edf or llf (overrides the file) [MIDSTREAM_SCHEDULER_POLICY]")
	rates := fs.String("rates", os.Getenv("MIDSTREAM_SCHEDULER_RATES"), "class rate limits, e.g. low=50:5,normal=200 (per second[:burst]) [MIDSTREAM_SCHEDULER_RATES]")
	ackWait := fs.Duration("ack-wait", 2*time.Minute, "CHUNKS redelivery delay for a chunk held by a dead scheduler")
	maxPending := fs.Int("max-ack-pending", svc.EnvInt("MIDSTREAM_SCHEDULER_MAX_ACK_PENDING", 2000), "chunks held per partition [MIDSTREAM_SCHEDULER_MAX_ACK_PENDING]")
	costEvery := fs.Duration("cost-probe", time.Second, "interval of the analyser cost estimate from WORK consumer progress (0: off)")
	svc.Main(scheduler.Name, fs, func(ctx context.Context, env *svc.Env) error {
		cfg, err := scheduler.InitialConfig(*cfgFile, *policy, *rates)
		if err != nil {
			return err
		}
		s, err := scheduler.New(env.NC, scheduler.WithConfig(cfg), scheduler.WithPartitions(env.Topo.Partitions, env.Only...),
			scheduler.WithConsumer(*ackWait, *maxPending, 10), scheduler.WithCostProbe(*costEvery), scheduler.WithLogger(env.Log))
		if err != nil {
			return err
		}
		return s.Run(ctx)
	})
}
