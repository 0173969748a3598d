package compare_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/compare"
)

// benchLibrary returns n references of m words each (made-up words in random order).
func benchLibrary(r *rand.Rand, n, m, minTokens int) []byte {
	specs := make([]compare.ReferenceSpec, n)
	for i := range specs {
		words := make([]string, m)
		for k := range words {
			words[k] = vocabulary[r.IntN(len(vocabulary))]
		}
		specs[i] = compare.ReferenceSpec{ID: fmt.Sprint("ref-", i), Text: strings.Join(words, " "), MinTokens: minTokens, Action: compare.ActionStop}
	}
	b, _ := json.Marshal(specs)
	return b
}

// benchChunks returns chunks of 8 words with model tokens and log-probabilities.
func benchChunks(r *rand.Rand, n int) []wire.Chunk {
	out := make([]wire.Chunk, n)
	for i := range out {
		var toks []wire.Token
		var text strings.Builder
		for range 8 {
			w := vocabulary[r.IntN(len(vocabulary))] + " "
			text.WriteString(w)
			toks = append(toks, wire.Token{Text: w, Logprob: -r.ExpFloat64()})
		}
		out[i] = wire.Chunk{Stream: "bench", Text: text.String(), Tokens: toks}
	}
	return out
}

// BenchmarkObserve measures one chunk of 8 tokens through a session: tokenising, the library
// matcher, the conversation matcher when there is one and the repetition detector.
func BenchmarkObserve(b *testing.B) {
	for _, bc := range []struct {
		name            string
		refs, length    int
		minTokens       int
		conv            int // earlier responses of 512 tokens in the conversation
		withRepetitions bool
	}{
		{name: "library=empty", withRepetitions: true},
		{name: "library=20x200/match=whole", refs: 20, length: 200, withRepetitions: true},
		{name: "library=20x200/match=32", refs: 20, length: 200, minTokens: 32, withRepetitions: true},
		{name: "library=1x2000/match=whole", refs: 1, length: 2000},
		{name: "library=1x2000/match=64", refs: 1, length: 2000, minTokens: 64},
		{name: "library=20x200/conversation=4x512", refs: 20, length: 200, conv: 4, withRepetitions: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			a, err := compare.New()
			if err != nil {
				b.Fatal(err)
			}
			if bc.refs > 0 {
				if err := a.Configure(compare.KeyReferences, benchLibrary(r, bc.refs, bc.length, bc.minTokens)); err != nil {
					b.Fatal(err)
				}
			}
			if !bc.withRepetitions {
				if err := a.Configure(compare.KeyRepetition, []byte(`{"enabled":false}`)); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			var meta *wire.Meta
			if bc.conv > 0 {
				meta = &wire.Meta{Conversation: "c"}
				if err := a.Configure(compare.KeyConversation, []byte(`{"max_tokens":512}`)); err != nil {
					b.Fatal(err)
				}
				for i := range bc.conv {
					s := a.Start(fmt.Sprint("past-", i), meta)
					for k, c := range benchChunks(r, 64) {
						c.Seq = uint64(k)
						_ = s.Observe(ctx, &c, &analysis.Emitter{})
					}
					s.End(ctx, analysis.EndFinal, &analysis.Emitter{})
				}
			}
			chunks := benchChunks(r, 1024)
			s := a.Start("bench", meta)
			var e analysis.Emitter
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := &chunks[i%len(chunks)]
				c.Seq = uint64(i)
				_ = s.Observe(ctx, c, &e)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(8*b.N), "ns/token")
		})
	}
}

// BenchmarkStart measures starting and ending a session with a 20×200-token library (a new
// light matcher of the library's shared reference set per session).
func BenchmarkStart(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	a, err := compare.New()
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Configure(compare.KeyReferences, benchLibrary(r, 20, 200, 0)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var e analysis.Emitter
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s := a.Start("bench", nil)
		s.End(ctx, analysis.EndFinal, &e)
	}
}

// BenchmarkOpenSessionMemory reports the heap held by one open response (after some chunks)
// with no library and with a 20×200-token library, whole-reference and 32-token windows.
func BenchmarkOpenSessionMemory(b *testing.B) {
	for _, bc := range []struct {
		name            string
		refs, minTokens int
	}{{"library=empty", 0, 0}, {"library=20x200/match=whole", 20, 0}, {"library=20x200/match=32", 20, 32}} {
		b.Run(bc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			a, err := compare.New()
			if err != nil {
				b.Fatal(err)
			}
			if bc.refs > 0 {
				if err := a.Configure(compare.KeyReferences, benchLibrary(r, bc.refs, 200, bc.minTokens)); err != nil {
					b.Fatal(err)
				}
			}
			chunks := benchChunks(r, 32)
			ctx := context.Background()
			const open = 100
			var e analysis.Emitter
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				sessions := make([]analysis.Session, open)
				for k := range sessions {
					sessions[k] = a.Start(fmt.Sprint("s", k), nil)
					for j := range chunks {
						chunks[j].Seq = uint64(j)
						_ = sessions[k].Observe(ctx, &chunks[j], &e)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/open, "B/session")
				runtime.KeepAlive(sessions)
			}
		})
	}
}
