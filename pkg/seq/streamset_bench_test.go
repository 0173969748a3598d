package seq

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

type benchLibrary struct {
	name string
	refs []Reference
}

// benchLibraries returns libraries of 20 references × 200 tokens (whole, and in 240 windows of
// 32 tokens as the compare service cuts them) and one of 2000 tokens, at MaxDist 15%.
func benchLibraries() []benchLibrary {
	r := rand.New(rand.NewPCG(51, 52))
	lib20 := libraryRefs(r, 20, 200)
	var win []Reference
	for _, ref := range lib20 {
		for st := 0; st+32 <= 200; st += 16 {
			win = append(win, Reference{ID: ref.ID, Tokens: ref.Tokens[st : st+32], MaxDist: 32 * 15 / 100})
		}
		win = append(win, Reference{ID: ref.ID, Tokens: ref.Tokens[168:], MaxDist: 32 * 15 / 100})
	}
	return []benchLibrary{
		{"library=20x200", lib20},
		{fmt.Sprintf("library=20x200/windows=%dx32", len(win)), win},
		{"library=1x2000", libraryRefs(r, 1, 2000)},
	}
}

// BenchmarkMatcherPush measures one token through a matcher of a shared set and through the
// former implementation (impl=legacy), on a random stream with a planted copy of the first
// reference.
func BenchmarkMatcherPush(b *testing.B) {
	for _, bc := range benchLibraries() {
		r := rand.New(rand.NewPCG(53, 54))
		stream := randTokens(r, 1<<14, 30000)
		copy(stream[1000:], bc.refs[0].Tokens)
		for _, impl := range []string{"shared", "legacy"} {
			b.Run(bc.name+"/impl="+impl, func(b *testing.B) {
				var push func(dst []TextMatch, tok int32) []TextMatch
				if impl == "shared" {
					rs, err := CompileReferences(bc.refs)
					if err != nil {
						b.Fatal(err)
					}
					push = rs.NewMatcher().Push
				} else {
					lm, err := newLegacyMatcher(bc.refs)
					if err != nil {
						b.Fatal(err)
					}
					push = lm.Push
				}
				var out []TextMatch
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					out = push(out[:0], stream[i&(len(stream)-1)])
				}
			})
		}
	}
}

// BenchmarkMatcherMemory reports the heap one open matcher holds beside its shared
// ReferenceSet, for the libraries of benchLibraries, next to the former implementation that
// copied the tables into every matcher (impl=legacy).
func BenchmarkMatcherMemory(b *testing.B) {
	for _, bc := range benchLibraries() {
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
