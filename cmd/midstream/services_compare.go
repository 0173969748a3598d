package main

import (
	"context"
	"encoding/json"

	"github.com/midstream/midstream/services/compare"
	"github.com/nats-io/nats.go/jetstream"
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
	a, err := compare.New()
	if err != nil {
		return err
	}
	return runAnalyser(ctx, h, compare.Name, a, seed{key: compare.KeyReferences, data: demoReferences(),
		store: func(ctx context.Context, js jetstream.JetStream, _ string, data []byte) (bool, error) {
			return compare.SeedReferences(ctx, js, data)
		}, note: "the demo system prompt"})
}
