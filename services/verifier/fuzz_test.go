package verifier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/verifier"
)

// FuzzConfigurePolicies feeds arbitrary policies documents: each is either rejected with an
// error matching ErrConfig (and changes nothing) or applied, and then runs on a response.
func FuzzConfigurePolicies(f *testing.F) {
	f.Add(verifier.DemoPolicies)
	f.Add([]byte(`{"policies": {"default": {"rules": [{"id": "a", "formula": "G(tool_call_start -> F[0,2s] tool_call_end)", "action": "flag"}]}}}`))
	f.Add([]byte(`{"policies": {"p": {"rules": []}}, "default": "p"}`))
	f.Add([]byte(`{"policies": {"default": {"rules": [{"id": "a", "formula": "G (!x"}]}}}`))
	f.Add([]byte(`{"policies": {}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"policies": {"default": {"rules": [{"id": "a", "formula": "pii_email U[0,3] final", "action": "stop"}]}}} x`))
	f.Add([]byte{})
	a, err := verifier.New(verifier.WithLimits(verifier.Limits{MaxRules: 16, MaxFormulaSize: 64}))
	if err != nil {
		f.Fatal(err)
	}
	defer a.Wait()
	chunks := []wire.Chunk{
		{Seq: 0, Text: "hello bob@exa"},
		{Seq: 1, Text: "mple.com", ToolCalls: []wire.ToolCallDelta{{Index: 0, Name: "f", Arguments: `{"x":`}}},
		{Seq: 2, Text: " I cannot help with that", Final: true, FinishReason: "stop"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := a.Version()
		if err := a.Configure(verifier.KeyPolicies, data); err != nil {
			if !errors.Is(err, verifier.ErrConfig) {
				t.Fatalf("error %v does not match ErrConfig", err)
			}
			if a.Version() != before {
				t.Fatal("a rejected value changed the configuration")
			}
			return
		}
		s := a.Start("fuzz", &wire.Meta{})
		e := new(analysis.Emitter)
		for i := range chunks {
			if err := s.Observe(context.Background(), &chunks[i], e); err != nil {
				t.Fatal(err)
			}
		}
		s.End(context.Background(), analysis.EndFinal, e)
	})
}
