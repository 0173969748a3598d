package main

import (
	"context"

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
	a, err := verifier.New()
	if err != nil {
		return err
	}
	defer a.Wait()
	return runAnalyser(ctx, h, verifier.Name, a,
		seed{key: verifier.KeyProps, data: verifier.DemoProps(), store: verifier.Seed, note: "the default proposition set plus \"text\""},
		seed{key: verifier.KeyPolicies, data: verifier.DemoPolicies, store: verifier.Seed, note: "the default policy"})
}
