package forecast

import (
	"fmt"
	"math/rand"
	"testing"
)

func benchModel(b *testing.B, states, traces int) *Model {
	r := rand.New(rand.NewSource(1))
	m := New(WithStepBuckets(8))
	for i := 0; i < traces; i++ {
		var tr Trace
		s := 0
		for l := 5 + r.Intn(100); l > 0; l-- {
			if r.Intn(10) == 0 {
				s = r.Intn(states)
			}
			tr.States = append(tr.States, s)
		}
		tr.Violated = s%3 == 0
		if err := m.Observe(tr); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkFit measures fitting the chain from scratch.
func BenchmarkFit(b *testing.B) {
	for _, states := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("states=%d", states), func(b *testing.B) {
			m := benchModel(b, states, 2000)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Fit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPredict measures one lookup, the per-chunk cost in the verifier.
func BenchmarkPredict(b *testing.B) {
	f, err := benchModel(b, 100, 2000).Fit()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	x := 0.0
	for i := 0; i < b.N; i++ {
		x += f.Predict(i%100, i%200).P
	}
	_ = x
}
