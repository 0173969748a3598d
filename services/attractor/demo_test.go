package attractor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/midstream/midstream/pkg/wire"
)

// The demo's looping responses (cmd/midstream/demo_gen.go, reproduced here because services do
// not import the CLI): some prose, then a phrase split every k characters and repeated, with
// log-probabilities uniform in [-0.02, 0] and three alternatives per token.
var demoPhrases = []string{
	"I apologize for the confusion, let me try again. ",
	"The answer is the answer is ",
	"Please wait while I check that for you. ",
	"As mentioned above, ",
}

func demoTokens(r *rand.Rand, s string, confident bool) []wire.Token {
	var toks []wire.Token
	for _, f := range strings.SplitAfter(s, " ") {
		if f == "" {
			continue
		}
		lp := -r.ExpFloat64() * 1.5
		if confident {
			lp = -0.02 * r.Float64()
		}
		t := wire.Token{Text: f, Logprob: math.Max(lp, -50)}
		for k := range 3 {
			t.Top = append(t.Top, wire.TopLogprob{Text: words[r.IntN(len(words))], Logprob: lp - 0.5 - float64(k) - r.Float64()})
		}
		toks = append(toks, t)
	}
	return toks
}

func demoProse(r *rand.Rand) string {
	var b strings.Builder
	for range 1 + r.IntN(3) {
		b.WriteByte(' ')
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// TestDemoLoopsFlagged checks every phrase at every split size of the demo: the loop is flagged
// mid-stream on the chunk series, never on the near-constant log-probabilities.
func TestDemoLoopsFlagged(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Classify = nil // loops only: keeps the test fast
	for pi, phrase := range demoPhrases {
		for k := 4; k <= 8; k++ {
			r := rand.New(rand.NewPCG(uint64(pi), uint64(k)))
			var parts []string
			for s := phrase; s != ""; {
				n := min(k, len(s))
				parts, s = append(parts, s[:n]), s[n:]
			}
			head := 10 + r.IntN(20)
			var chunks []wire.Chunk
			for range head {
				p := demoProse(r)
				chunks = append(chunks, wire.Chunk{Text: p, Tokens: demoTokens(r, p, false)})
			}
			for j := 0; len(chunks) < head+120; j++ {
				p := parts[j%len(parts)]
				chunks = append(chunks, wire.Chunk{Text: p, Tokens: demoTokens(r, p, true)})
			}
			s := newSession(&cfg)
			rec := &recorder{}
			for i := range chunks {
				rec.chunk = i
				chunks[i].Seq = uint64(i)
				s.observe(&chunks[i], rec)
			}
			loops, at := rec.ofKind(KindLoop)
			// When every piece has the same length and token count (e.g. "The answer is the
			// answer is " split every 7: "The ans", "wer is ", ...), no numeric signal
			// cycles: the loop is in the text alone and only compare can see it.
			constant := true
			for _, p := range parts {
				if len(p) != len(parts[0]) || len(demoTokens(r, p, true)) != len(demoTokens(r, parts[0], true)) {
					constant = false
				}
			}
			if constant {
				if len(loops) != 0 {
					t.Errorf("phrase %d split %d: loop flagged on constant signals: %+v", pi, k, loops)
				}
				continue
			}
			if len(loops) == 0 {
				t.Errorf("phrase %d split %d: loop not flagged", pi, k)
				continue
			}
			for _, v := range loops {
				if v.Rule == SeriesLogprob || v.Rule == SeriesEntropy {
					t.Errorf("phrase %d split %d: loop on %s, whose values are random", pi, k, v.Rule)
				}
			}
			if at[0] >= len(chunks)-1 || at[0] < head {
				t.Errorf("phrase %d split %d: flagged at chunk %d of %d (loop from %d)", pi, k, at[0], len(chunks), head)
			}
		}
	}
}
