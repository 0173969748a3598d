package main

import (
	"context"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/services/verifier"
)

func init() {
	registerService(service{name: verifier.Name, stage: 10, run: runVerifier})
}

// runVerifier seeds verifier.props and verifier.policies with verifier.DemoProps and
// verifier.DemoPolicies when the keys are absent and runs the verifier. The demo's PII leak is
// stopped by no_email at the chunk that completes the address; its broken tool call is flagged
// by tool_call_uninterrupted at the text chunk that follows the unfinished call, and judged
// false by tool_calls_complete at the final chunk.
func runVerifier(ctx context.Context, h *host) error {
	log := h.Log.With("service", verifier.Name)
	if seeded, err := verifier.Seed(ctx, h.JS, verifier.KeyProps, verifier.DemoProps()); err != nil {
		return err
	} else if seeded {
		log.Info("seeded verifier.props with the default proposition set plus \"text\"")
	}
	if seeded, err := verifier.Seed(ctx, h.JS, verifier.KeyPolicies, verifier.DemoPolicies); err != nil {
		return err
	} else if seeded {
		log.Info("seeded verifier.policies with the default policy")
	}
	a, err := verifier.New()
	if err != nil {
		return err
	}
	defer a.Wait()
	if err := verifier.LoadConfig(ctx, h.JS, a); err != nil {
		log.Error("verifier configuration rejected; what was in force stays for those keys", "err", err)
	}
	r, err := analysis.New(h.NC, analysis.Config{Name: verifier.Name, Source: h.Source, Partitions: h.Topo.Partitions, Logger: log}, a)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
