package verifier_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/verifier"
)

// benchObserve measures Observe per chunk on 200-chunk prose responses (a new session, as in
// production, every 200 chunks; its start and the final-chunk verdicts are included).
func benchObserve(b *testing.B, props, policies []byte, opts ...verifier.Option) {
	a, err := verifier.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Wait()
	if props != nil {
		if err := a.Configure(verifier.KeyProps, props); err != nil {
			b.Fatal(err)
		}
	}
	if err := a.Configure(verifier.KeyPolicies, policies); err != nil {
		b.Fatal(err)
	}
	const n = 200
	chunks := proseChunks(rand.New(rand.NewPCG(1, 2)), n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range chunks {
		chunks[i].Stream, chunks[i].Seq, chunks[i].Time = "bench", uint64(i), t0.Add(time.Duration(i)*20*time.Millisecond)
	}
	chunks[n-1].Final, chunks[n-1].FinishReason = true, "stop"
	ctx := context.Background()
	meta := &wire.Meta{Policy: "default"}
	var s analysis.Session
	var e *analysis.Emitter
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % n
		if k == 0 {
			if s != nil {
				s.End(ctx, analysis.EndFinal, e)
			}
			s, e = a.Start("bench", meta), new(analysis.Emitter)
		}
		if err := s.Observe(ctx, &chunks[k], e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObserve(b *testing.B) {
	b.Run("policy=default", func(b *testing.B) { benchObserve(b, verifier.DemoProps(), verifier.DemoPolicies) })
	for _, n := range []int{10, 100, 1000} {
		b.Run("rules="+itoa(n), func(b *testing.B) { benchObserve(b, nil, policiesDoc(b, manyRules(n)...)) })
		b.Run("rules="+itoa(n)+"/explain=off", func(b *testing.B) {
			benchObserve(b, nil, policiesDoc(b, manyRules(n)...), verifier.WithSessionLimits(verifier.SessionLimits{MaxExplainPerChunk: -1}))
		})
	}
}

func itoa(n int) string {
	switch n {
	case 10:
		return "10"
	case 100:
		return "100"
	}
	return "1000"
}

// BenchmarkOpenResponse measures the heap held by one open response after 200 prose chunks
// (reported as B/response), the figure docs/services/verifier.md states.
func BenchmarkOpenResponse(b *testing.B) {
	for _, tc := range []struct {
		name            string
		props, policies []byte
	}{
		{"policy=default", verifier.DemoProps(), verifier.DemoPolicies},
		{"rules=1000", nil, policiesDoc(b, manyRules(1000)...)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, err := verifier.New()
			if err != nil {
				b.Fatal(err)
			}
			defer a.Wait()
			if tc.props != nil {
				if err := a.Configure(verifier.KeyProps, tc.props); err != nil {
					b.Fatal(err)
				}
			}
			if err := a.Configure(verifier.KeyPolicies, tc.policies); err != nil {
				b.Fatal(err)
			}
			chunks := proseChunks(rand.New(rand.NewPCG(1, 2)), 200)
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range chunks {
				chunks[i].Seq, chunks[i].Time = uint64(i), t0.Add(time.Duration(i)*20*time.Millisecond)
			}
			ctx := context.Background()
			const open = 50
			sessions := make([]analysis.Session, open)
			var total float64
			for range b.N {
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				for j := range sessions {
					sessions[j] = a.Start("bench", &wire.Meta{})
					e := new(analysis.Emitter)
					for k := range chunks {
						if err := sessions[j].Observe(ctx, &chunks[k], e); err != nil {
							b.Fatal(err)
						}
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&m1)
				total += float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / open
				runtime.KeepAlive(sessions)
				clear(sessions)
			}
			b.ReportMetric(total/float64(b.N), "B/response")
		})
	}
}
