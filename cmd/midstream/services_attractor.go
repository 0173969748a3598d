package main

import (
	"context"
	"encoding/json"

	"github.com/midstream/midstream/services/attractor"
	"github.com/nats-io/nats.go/jetstream"
)

func init() {
	registerService(service{name: attractor.Name, stage: 10, run: runAttractor})
}

// runAttractor seeds attractor.config with the documented defaults when the key is absent (so
// operators see and edit the values in force), then runs the analyser.
func runAttractor(ctx context.Context, h *host) error {
	def, err := json.Marshal(attractor.DefaultConfig())
	if err != nil {
		return err
	}
	a, err := attractor.New()
	if err != nil {
		return err
	}
	return runAnalyser(ctx, h, attractor.Name, a, seed{key: attractor.KeyConfig, data: def,
		store: func(ctx context.Context, js jetstream.JetStream, _ string, data []byte) (bool, error) {
			return attractor.SeedConfig(ctx, js, data)
		}, note: "the defaults"})
}
