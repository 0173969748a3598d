package main

import (
	"context"
	"encoding/json"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/services/attractor"
)

func init() {
	registerService(service{name: attractor.Name, stage: 10, run: runAttractor})
}

// runAttractor seeds attractor.config with the documented defaults when the key is absent (so
// operators see and edit the values in force), then runs the analyser.
func runAttractor(ctx context.Context, h *host) error {
	log := h.Log.With("service", attractor.Name)
	def, err := json.Marshal(attractor.DefaultConfig())
	if err != nil {
		return err
	}
	if seeded, err := attractor.SeedConfig(ctx, h.JS, def); err != nil {
		return err
	} else if seeded {
		log.Info("seeded attractor.config with the defaults")
	}
	a, err := attractor.New()
	if err != nil {
		return err
	}
	if err := attractor.LoadConfig(ctx, h.JS, a); err != nil {
		log.Error("attractor configuration rejected; defaults stay", "err", err)
	}
	r, err := analysis.New(h.NC, analysis.Config{Name: attractor.Name, Source: h.Source, Partitions: h.Topo.Partitions, Logger: log}, a)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
