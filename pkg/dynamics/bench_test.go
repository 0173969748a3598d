package dynamics

import (
	"fmt"
	"testing"
)

func BenchmarkEmbedding(b *testing.B) {
	x := lorenz(1000, 0.01)
	b.Run("n=1000", func(b *testing.B) {
		b.ReportAllocs()
		var sink float64
		reportCPU(b, func() {
			e, err := NewEmbedding(x, 3, 17)
			if err != nil {
				b.Fatal(err)
			}
			// Touch every coordinate: the cost of using the view, not only creating it.
			for i := 0; i < e.Len(); i++ {
				for j := 0; j < e.Dim(); j++ {
					sink += e.At(i, j)
				}
			}
		})
		_ = sink
	})
}

func BenchmarkRosenstein(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		x := lorenz(n, 0.01)
		e, _ := NewEmbedding(x, 3, 17)
		mp := MeanPeriod(x)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			reportCPU(b, func() {
				if _, err := Rosenstein(e, RosensteinConfig{Dt: 0.01, MeanPeriod: mp}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkCorrelationDimension(b *testing.B) {
	x := lorenz(5000, 0.01)
	b.Run("n=5000", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			if _, err := GrassbergerProcaccia(x, GPConfig{Dims: []int{3, 4, 5}, Delay: 17, Theiler: 150}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkAnalyze(b *testing.B) {
	for _, c := range []struct {
		name string
		x    []float64
	}{
		{"lorenz/n=1000", lorenz(1000, 0.02)},
		{"damped/n=1000", damped(1000, 25, 0.005)},
		{"henon/n=1000", henon(1000)},
		{"noise/n=1000", gaussian(1000, 1)},
		{"periodic/n=1000", sine(1000, 20.5)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			reportCPU(b, func() {
				if _, err := Analyze(c.x); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkIncremental(b *testing.B) {
	for _, c := range []struct {
		name        string
		x           []float64
		window, hop int
	}{
		{"lorenz/window=256/hop=256", lorenz(20000, 0.02), 256, 256},
		{"lorenz/window=512/hop=256", lorenz(20000, 0.02), 512, 256},
		{"lorenz/window=512/hop=512", lorenz(20000, 0.02), 512, 512},
		{"periodic/window=512/hop=512", sine(20000, 20.5), 512, 512},
		{"noise/window=512/hop=512", gaussian(20000, 1), 512, 512},
		{"lorenz/window=512/no-analysis", lorenz(20000, 0.02), 512, 1 << 30},
	} {
		b.Run(c.name, func(b *testing.B) {
			a, err := NewIncremental(c.window, WithHop(c.hop))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			reportCPU(b, func() {
				a.Add(c.x[i%len(c.x)])
				i++
			})
			b.ReportMetric(float64(a.MemoryBytes()), "state-bytes")
		})
	}
}
