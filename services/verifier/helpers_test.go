package verifier_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis/analysistest"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/verifier"
)

// harness runs the verifier on an embedded bus and records what it publishes.
type harness struct {
	*analysistest.Harness
	a *verifier.Analyser
}

// startHarness seeds the given ms_config values (key → JSON) before the runner starts; the
// runner applies them before it consumes.
func startHarness(t *testing.T, seed map[string][]byte, opts ...verifier.Option) *harness {
	t.Helper()
	a, err := verifier.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Wait) // registered first: runs after the runner has stopped
	h := &harness{a: a, Harness: analysistest.Start(t, verifier.Name, a,
		analysistest.WithSetup(func(ctx context.Context, env *bustest.Env) error {
			for _, k := range []string{verifier.KeyProps, verifier.KeyPolicies} {
				if v, ok := seed[k]; ok {
					if _, err := verifier.Seed(ctx, env.JS, k, v); err != nil {
						return err
					}
				}
			}
			return nil
		}))}
	// Each seeded value is applied once, before the first chunk: wait for them so that tests
	// count configuration versions from a settled start.
	bustest.Eventually(t, 10*time.Second, func() bool { return a.Version() == uint64(len(seed)) }, "initial configuration not delivered")
	return h
}

// put stores a configuration value under verifier.<key>.
func (h *harness) put(key string, b []byte) {
	h.T.Helper()
	h.Put(key, b)
}

// send publishes a response: its chunks get seq 0.., times t0 + gap*i, chunk 0 the metadata,
// the last Final.
func (h *harness) send(stream string, meta *wire.Meta, chunks []wire.Chunk, gap time.Duration) {
	h.T.Helper()
	h.Send(stream, meta, chunks, gap)
}

// settle waits until the verifier has acknowledged every chunk (so every finding is stored),
// then collects what was published.
func (h *harness) settle() { h.T.Helper(); h.Settle() }

func (h *harness) verdictsOf(stream, rule string) []wire.Verdict {
	var out []wire.Verdict
	for _, v := range h.Verdicts(stream) {
		if rule == "" || v.Rule == rule {
			out = append(out, v)
		}
	}
	return out
}

func (h *harness) actionsOf(stream string) []wire.Action { return h.Actions(stream) }

func evidenceOf(t *testing.T, v wire.Verdict) verifier.Evidence {
	t.Helper()
	var ev verifier.Evidence
	if err := json.Unmarshal(v.Evidence, &ev); err != nil {
		t.Fatalf("evidence of %+v: %v", v, err)
	}
	return ev
}

var words = strings.Fields("the model answers questions about orders shipping and returns with care " +
	"while keeping the tone friendly short precise and helpful for every customer today")

func prose(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(' ')
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// proseChunks returns n chunks of 1..4 words with tokens.
func proseChunks(r *rand.Rand, n int) []wire.Chunk {
	out := make([]wire.Chunk, n)
	for i := range out {
		s := prose(r, 1+r.IntN(4))
		out[i].Text = s
		for _, f := range strings.SplitAfter(s, " ") {
			if f != "" {
				out[i].Tokens = append(out[i].Tokens, wire.Token{Text: f, Logprob: -r.ExpFloat64()})
			}
		}
	}
	return out
}

func policiesDoc(t testing.TB, rules ...verifier.RuleSpec) []byte {
	t.Helper()
	b, err := json.Marshal(verifier.PoliciesSpec{Policies: map[string]verifier.PolicySpec{"default": {Rules: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manyRules returns n rules over the default proposition set, mostly undecided for prose.
func manyRules(n int) []verifier.RuleSpec {
	atoms := []string{"pii_email", "pii_phone", "pii_card", "secret", "refusal", "disclaimer", "tool_result",
		"tool_call_start", "tool_call_end", "tool_args_invalid", "truncated", "low_logprob", "high_entropy", "slow_chunk", "big_chunk"}
	r := rand.New(rand.NewPCG(11, 12))
	out := make([]verifier.RuleSpec, n)
	for i := range out {
		a, b := atoms[r.IntN(len(atoms))], atoms[r.IntN(len(atoms))]
		var f string
		switch i % 5 {
		case 0:
			f = "G !" + a
		case 1:
			f = fmt.Sprintf("G(%s -> F %s)", a, b)
		case 2:
			f = fmt.Sprintf("G(%s -> F[0,%ds] %s)", a, 1+r.IntN(30), b)
		case 3:
			f = fmt.Sprintf("!%s U (%s | final)", a, b)
		default:
			f = fmt.Sprintf("G(%s -> X !%s) & G[0,%d] !%s", a, b, 10+r.IntN(100), b)
		}
		out[i] = verifier.RuleSpec{ID: fmt.Sprintf("r%04d", i), Formula: f}
	}
	return out
}

// sendRange publishes chunks[from:to] of a response (the last of chunks is Final).
func (h *harness) sendRange(stream string, chunks []wire.Chunk, from, to int, gap time.Duration) {
	h.T.Helper()
	t0 := time.Now().UTC()
	for i := from; i < to; i++ {
		c := chunks[i]
		c.Stream, c.Seq, c.Time = stream, uint64(i), t0.Add(time.Duration(i)*gap)
		if i == len(chunks)-1 {
			c.Final, c.FinishReason = true, "stop"
		}
		h.Publish(c)
	}
}
