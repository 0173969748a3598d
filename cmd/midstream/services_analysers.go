package main

import (
	"context"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/nats-io/nats.go/jetstream"
)

// seed is an ms_config value an analyser's registration stores when its key is absent, so
// operators see and edit the values in force. store is the service's own seeding function,
// which validates data before storing it; note is logged when the value was stored.
type seed struct {
	key   string
	data  []byte
	store func(ctx context.Context, js jetstream.JetStream, key string, data []byte) (bool, error)
	note  string
}

// runAnalyser stores the analyser's seeds in order (each only if its key is absent), then runs
// a under name on the host's source. The runner applies the stored keys before it consumes,
// so the first responses already run under them.
func runAnalyser(ctx context.Context, h *host, name string, a analysis.Analyser, seeds ...seed) error {
	log := h.Log.With("service", name)
	for _, s := range seeds {
		seeded, err := s.store(ctx, h.JS, s.key, s.data)
		if err != nil {
			return err
		}
		if seeded {
			log.Info("seeded "+analysis.ConfigKey(name, s.key)+" with "+s.note, "key", analysis.ConfigKey(name, s.key))
		}
	}
	r, err := analysis.New(h.NC, analysis.Config{Name: name, Source: h.Source, Partitions: h.Topo.Partitions, Logger: log}, a)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
