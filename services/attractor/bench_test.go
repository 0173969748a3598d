package attractor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/dynamics"
	"github.com/midstream/midstream/pkg/wire"
)

// demoChunks returns n chunks like the demo's ordinary prose: 1-3 tokens each with random
// log-probabilities and three alternatives, 15 ms apart.
func demoChunks(n int) []wire.Chunk {
	r := rand.New(rand.NewPCG(21, 21))
	t0 := time.Unix(0, 0)
	out := make([]wire.Chunk, n)
	for i := range out {
		c := wire.Chunk{Seq: uint64(i), Time: t0.Add(time.Duration(i) * 15 * time.Millisecond)}
		for range 1 + r.IntN(3) {
			tok := token(r, proseLogprob(r), true)
			c.Text += tok.Text
			c.Tokens = append(c.Tokens, tok)
		}
		out[i] = c
	}
	return out
}

// discard is a sink that drops findings.
type discard struct{}

func (discard) Verdict(wire.Verdict)                   {}
func (discard) Action(wire.ActionType, string, string) {}

// BenchmarkObserve measures the per-chunk cost in steady state (the window full, full
// analyses every Hop points of each classified series), amortised over many chunks.
func BenchmarkObserve(b *testing.B) {
	chunks := demoChunks(4096)
	cheap := DefaultConfig()
	cheap.Hop, cheap.Debounce, cheap.MinLyapunovPoints, cheap.Surrogates, cheap.Alpha = 256, 256, 256, 9, 0.1
	none := DefaultConfig()
	none.Classify = nil
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"config=default", DefaultConfig()},
		{"config=hop256-surrogates9", cheap},
		{"config=loops-only", none},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := tc.cfg
			s := newSession(&cfg)
			points := 0
			for i := range 512 { // fill the windows
				s.observe(&chunks[i], discard{})
			}
			b.ReportAllocs()
			i, cpu0 := 0, cpuTime()
			for b.Loop() {
				c := &chunks[i%len(chunks)]
				points += len(c.Tokens) // points of each classified (per-token) series
				s.observe(c, discard{})
				i++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(i), "cpu-ns/op")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(points*max(len(cfg.Classify), 1)), "cpu-ns/point")
		})
	}
}

// BenchmarkFullAnalysis is the cost every Hop points amortise: one dynamics.Analyze of a full
// window of random log-probabilities with the service's options.
func BenchmarkFullAnalysis(b *testing.B) {
	cfg := DefaultConfig()
	r := rand.New(rand.NewPCG(22, 22))
	for _, n := range []int{128, 256} {
		x := make([]float64, n)
		for i := range x {
			x[i] = proseLogprob(r)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			k, cpu0 := 0, cpuTime()
			for b.Loop() {
				if _, err := dynamics.Analyze(x, dynamics.WithMaxPeriod(cfg.MaxPeriod), dynamics.WithSurrogates(cfg.Surrogates, cfg.Alpha)); err != nil {
					b.Fatal(err)
				}
				k++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(k), "cpu-ns/op")
		})
	}
}

// BenchmarkMemoryPerResponse measures the heap held by open responses: sessions fed tokens
// points each, kept alive, heap difference after GC divided by the number of sessions.
func BenchmarkMemoryPerResponse(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Classify = nil // the held state does not depend on analyses; keep the benchmark fast
	for _, chunksPer := range []int{50, 150, 600} {
		chunks := demoChunks(chunksPer)
		b.Run(fmt.Sprintf("chunks=%d", chunksPer), func(b *testing.B) {
			const sessions = 200
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				held := make([]*session, sessions)
				for k := range held {
					held[k] = newSession(&cfg)
					for i := range chunks {
						held[k].observe(&chunks[i], discard{})
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/sessions, "heap-B/response")
				b.ReportMetric(float64(held[0].MemoryBytes()), "state-B/response")
				runtime.KeepAlive(held)
			}
		})
	}
}
