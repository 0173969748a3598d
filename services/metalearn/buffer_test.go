package metalearn

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/learn"
	"github.com/midstream/midstream/pkg/wire"
)

// TestRingAgainstNaive checks the indexed ring against a plain list that keeps the last cap
// distinct streams in insertion order, replacing a stream's record in place.
func TestRingAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, cap := range []int{1, 2, 7, 64} {
		g := &ring{cap: cap}
		var naive []record
		for i := range 5000 {
			r := record{stream: fmt.Sprintf("s%d", rng.IntN(3*cap)), score: float64(i)}
			g.put(r)
			found := false
			for j := range naive {
				if naive[j].stream == r.stream {
					naive[j], found = r, true
				}
			}
			if !found {
				naive = append(naive, r)
				if len(naive) > cap {
					naive = naive[1:]
				}
			}
			if len(g.recs) != len(naive) {
				t.Fatalf("cap %d step %d: %d records, naive %d", cap, i, len(g.recs), len(naive))
			}
			want := map[record]bool{}
			for _, x := range naive {
				want[x] = true
			}
			for _, x := range g.recs {
				if !want[x] {
					t.Fatalf("cap %d step %d: record %+v not in the naive set", cap, i, x)
				}
			}
		}
	}
}

func TestResponseBuffer(t *testing.T) {
	r := &response{stream: "s"}
	r.addChunk(&wire.Chunk{Stream: "s", Seq: 0, Text: "a b c", Meta: &wire.Meta{Tenant: "t", Model: "m"}}, 4, timeZero)
	r.addChunk(&wire.Chunk{Stream: "s", Seq: 1, Tokens: []wire.Token{{Text: "d", Logprob: -1}, {Text: "e", Logprob: -3}}, Final: true}, 4, timeZero)
	r.addVerdict(&wire.Verdict{Stream: "s", Analyser: "verifier", Seq: 1, Kind: "rule", Rule: "pii", Status: "false", Score: 2}, timeZero)
	r.addVerdict(&wire.Verdict{Stream: "s", Analyser: "compare", Seq: 9, Kind: "repetition", Status: "detected"}, timeZero)
	o := r.observation(timeZero)
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(o.Tokens) != 4 || o.Tokens[3] != "d" || r.tokenCount != 5 {
		t.Fatalf("tokens %v (count %d): want the first 4 of 5 kept", o.Tokens, r.tokenCount)
	}
	want := []learn.Verdict{{Analyser: "verifier", Rule: "pii", Score: 2, Flagged: true, At: 3}, {Analyser: "compare", Rule: "repetition", Flagged: true, At: -1}}
	for i := range want {
		if o.Verdicts[i] != want[i] {
			t.Fatalf("verdict %d: %+v, want %+v", i, o.Verdicts[i], want[i])
		}
	}
	sig := map[string]float64{}
	for _, s := range o.Signals {
		sig[s.Name] = s.Value
	}
	if sig["tokens"] != 5 || sig["chunks"] != 2 || sig["mean_logprob"] != -2 || sig["flagged"] != 1 {
		t.Fatalf("signals %v", sig)
	}
}

var timeZero = time.Unix(0, 0)
