package seq

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkMatcherMemory reports the heap one open matcher holds beside its shared
// ReferenceSet, for libraries of 20 references × 200 tokens (whole, and in 240 windows of 32
// tokens as the compare service cuts them) and one of 2000 tokens, next to the former
// implementation that copied the tables into every matcher (impl=legacy).
func BenchmarkMatcherMemory(b *testing.B) {
	r := rand.New(rand.NewPCG(51, 52))
	lib20 := libraryRefs(r, 20, 200)
	var win []Reference
	for _, ref := range lib20 {
		for st := 0; st+32 <= 200; st += 16 {
			win = append(win, Reference{ID: ref.ID, Tokens: ref.Tokens[st : st+32], MaxDist: 32 * 15 / 100})
		}
		win = append(win, Reference{ID: ref.ID, Tokens: ref.Tokens[168:], MaxDist: 32 * 15 / 100})
	}
	for _, bc := range []struct {
		name string
		refs []Reference
	}{
		{"library=20x200", lib20},
		{fmt.Sprintf("library=20x200/windows=%dx32", len(win)), win},
		{"library=1x2000", libraryRefs(r, 1, 2000)},
	} {
		for _, impl := range []string{"shared", "legacy"} {
			b.Run(bc.name+"/impl="+impl, func(b *testing.B) {
				rs, err := CompileReferences(bc.refs)
				if err != nil {
					b.Fatal(err)
				}
				const open = 200
				keep := make([]any, open)
				for i := 0; i < b.N; i++ {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					for k := range keep {
						if impl == "shared" {
							m := rs.NewMatcher()
							m.Write(nil, bc.refs[0].Tokens)
							keep[k] = m
						} else {
							m, _ := newLegacyMatcher(bc.refs)
							m.Write(nil, bc.refs[0].Tokens)
							keep[k] = m
						}
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/open, "B/matcher")
					clear(keep)
				}
				b.ReportMetric(float64(rs.MatcherBytes()), "MatcherBytes")
			})
		}
	}
}
