package metalearn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
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

// TestResponseMemory measures the heap held per buffered response: 200 responses of 100 chunks
// of 8 tokens (so the 512-token cap is reached), each chunk's text 8 KiB long so that pinning
// it would show. The documented bound is 48 KiB per response.
func TestResponseMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocates; the race detector's overhead would be measured too")
	}
	const n = 200
	text := strings.Repeat("x", 8<<10-80) + " alpha beta gamma delta epsilon zeta eta theta"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rs := make([]*response, n)
	for i := range rs {
		r := &response{stream: fmt.Sprint(i)}
		for seq := range 100 {
			c := &wire.Chunk{Stream: r.stream, Seq: uint64(seq), Text: strings.Clone(text)}
			r.addChunk(c, 512, timeZero)
		}
		rs[i] = r
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f KiB per buffered response (512 tokens kept)", per/1024)
	if per > 48<<10 {
		t.Fatalf("%.0f bytes per response, bound 48 KiB", per)
	}
	runtime.KeepAlive(rs)
}
