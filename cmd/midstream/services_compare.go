package main

import (
	"context"
	"encoding/json"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/services/compare"
)

func init() {
	registerService(service{name: compare.Name, stage: 10, run: runCompare})
}

// demoReferences is the library the all-in-one seeds into compare.references when the key is
// absent: the demo's confidential system prompt. A leak of any 12 consecutive tokens of it
// (within 15% token edits) stops the response.
func demoReferences() []byte {
	b, _ := json.Marshal([]compare.ReferenceSpec{{
		ID: "demo-system-prompt", Kind: "system_prompt", Text: demoSystemPrompt, MinTokens: 12, Action: compare.ActionStop,
	}})
	return b
}

func runCompare(ctx context.Context, h *host) error {
	log := h.Log.With("service", compare.Name)
	if seeded, err := compare.SeedReferences(ctx, h.JS, demoReferences()); err != nil {
		return err
	} else if seeded {
		log.Info("seeded compare.references with the demo system prompt")
	}
	a, err := compare.New()
	if err != nil {
		return err
	}
	if err := compare.LoadConfig(ctx, h.JS, a); err != nil {
		log.Error("compare configuration rejected; defaults stay for those keys", "err", err)
	}
	r, err := analysis.New(h.NC, analysis.Config{Name: compare.Name, Source: h.Source, Partitions: h.Topo.Partitions, Logger: log}, a)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
