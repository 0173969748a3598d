package seq

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmarks run the optimised code side by side with the naive reference DP (naive_test.go) in
// the same run; sub-benchmarks are named by size.

func BenchmarkDTW(b *testing.B) {
	for _, n := range []int{100, 1000} {
		r := rand.New(rand.NewPCG(7, uint64(n)))
		x, y := randSeries(r, n), randSeries(r, n)
		for _, band := range []struct {
			name string
			w    int
		}{{"full", -1}, {"band10", n / 10}} {
			cells := float64(n * n)
			if band.w >= 0 {
				cells = 0
				for i := 0; i < n; i++ {
					cells += float64(min(n-1, i+band.w) - max(0, i-band.w) + 1)
				}
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, band.name), func(b *testing.B) {
				d := NewDTW(WithWindow(band.w))
				b.ReportAllocs()
				for b.Loop() {
					d.Distance(x, y)
				}
				b.ReportMetric(cells*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
			})
			b.Run(fmt.Sprintf("n=%d/%s/naive", n, band.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					naiveDTW(x, y, band.w, Squared)
				}
				b.ReportMetric(cells*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
			})
		}
	}
}

func BenchmarkLCS(b *testing.B) {
	for _, n := range []int{100, 1000} {
		r := rand.New(rand.NewPCG(9, uint64(n)))
		x, y := randTokens(r, n, 50), randTokens(r, n, 50)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			al := &Aligner{}
			b.ReportAllocs()
			for b.Loop() {
				al.LCSLength(x, y)
			}
		})
		b.Run(fmt.Sprintf("n=%d/naive", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				naiveLCS(x, y)
			}
		})
	}
}

func BenchmarkEditDistance(b *testing.B) {
	for _, n := range []int{100, 1000} {
		r := rand.New(rand.NewPCG(10, uint64(n)))
		x, y := randTokens(r, n, 50), randTokens(r, n, 50)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			al := &Aligner{}
			b.ReportAllocs()
			for b.Loop() {
				al.EditDistance(x, y)
			}
		})
		b.Run(fmt.Sprintf("n=%d/naive", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				naiveEdit(x, y)
			}
		})
	}
}

func BenchmarkCacheHit(b *testing.B) {
	for _, n := range []int{100, 1000} {
		r := rand.New(rand.NewPCG(11, uint64(n)))
		x, y := randSeries(r, n), randSeries(r, n)
		c := NewCache[float64, float64](1024)
		for i := 0; i < 1000; i++ { // a full cache: hits walk a real map
			c.Put("dtw", "w=-1,sq", randSeries(r, n), y, float64(i))
		}
		c.Put("dtw", "w=-1,sq", x, y, 1)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.Get("dtw", "w=-1,sq", x, y); !ok {
					b.Fatal("miss")
				}
			}
		})
		// Token sequences (int32 ids), the text case: half the bytes of float64 series.
		tx, ty := randTokens(r, n, 50000), randTokens(r, n, 50000)
		tc := NewCache[int32, int](1024)
		for i := 0; i < 1000; i++ {
			tc.Put("lcs", "", randTokens(r, n, 50000), ty, i)
		}
		tc.Put("lcs", "", tx, ty, 1)
		b.Run(fmt.Sprintf("n=%d/int32", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := tc.Get("lcs", "", tx, ty); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}

// BenchmarkStreamMatch measures the cost of one new token against references of 2000 tokens.
func BenchmarkStreamMatch(b *testing.B) {
	for _, nref := range []int{1, 10} {
		r := rand.New(rand.NewPCG(12, uint64(nref)))
		var refs []Reference
		for k := 0; k < nref; k++ {
			refs = append(refs, Reference{ID: fmt.Sprint(k), Tokens: randTokens(r, 2000, 30000), MaxDist: 200})
		}
		stream := randTokens(r, 1<<16, 30000)
		// Plant a copy of the first reference so matching and reporting are exercised too.
		copy(stream[1000:], refs[0].Tokens)
		b.Run(fmt.Sprintf("ref=2000/refs=%d", nref), func(b *testing.B) {
			sm, err := NewStreamMatcher(refs)
			if err != nil {
				b.Fatal(err)
			}
			var out []TextMatch
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out = sm.Push(out[:0], stream[i&(len(stream)-1)])
				i++
			}
		})
		if nref == 1 {
			b.Run("ref=2000/refs=1/naive", func(b *testing.B) {
				// The semi-global DP column of the same reference, one int per reference token.
				ref := refs[0].Tokens
				prev, cur := make([]int, len(ref)+1), make([]int, len(ref)+1)
				for i := range prev {
					prev[i] = i
				}
				i := 0
				for b.Loop() {
					c := stream[i&(len(stream)-1)]
					i++
					cur[0] = 0
					for k := 1; k <= len(ref); k++ {
						sub := 1
						if ref[k-1] == c {
							sub = 0
						}
						cur[k] = min(prev[k-1]+sub, prev[k]+1, cur[k-1]+1)
					}
					prev, cur = cur, prev
				}
			})
		}
	}
}

func BenchmarkSpring(b *testing.B) {
	for _, m := range []int{100, 1000} {
		r := rand.New(rand.NewPCG(13, uint64(m)))
		q, x := randSeries(r, m), randSeries(r, 1<<14)
		b.Run(fmt.Sprintf("query=%d", m), func(b *testing.B) {
			sp, _ := NewSpring(q, 1)
			var out []SpringMatch
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out = sp.Push(out[:0], x[i&(len(x)-1)])
				i++
			}
		})
	}
}

func BenchmarkRepeat(b *testing.B) {
	for _, p := range []int{64, 256} {
		r := rand.New(rand.NewPCG(14, uint64(p)))
		x := randTokens(r, 1<<14, 1000)
		b.Run(fmt.Sprintf("maxPeriod=%d", p), func(b *testing.B) {
			d, _ := NewRepeatDetector(p)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.Push(x[i&(len(x)-1)])
				i++
			}
		})
	}
}

// BenchmarkClassifyOSULeaf is 1-NN classification of the OSULeaf test set (242 queries, 200
// training series of length 427) under full-window DTW: the cascade with pruned early-abandoning
// DTW, the same fast DP computing every distance in full, and the naive matrix DP. Each checks
// the published error rate 0.4091.
func BenchmarkClassifyOSULeaf(b *testing.B) {
	train, test := loadUCR(b, "OSULeaf")
	const want = 0.4091
	check := func(b *testing.B, rate float64) {
		if math.Abs(rate-want) > 5e-5 {
			b.Fatalf("error rate %.4f, published %.4f", rate, want)
		}
	}
	brute := func(b *testing.B, dist func(q, c []float64) float64) float64 {
		wrong := 0
		for i, q := range test.Series {
			best, bd := -1, math.Inf(1)
			for j, c := range train.Series {
				if d := dist(q, c); d < bd {
					best, bd = j, d
				}
			}
			if train.Labels[best] != test.Labels[i] {
				wrong++
			}
		}
		return float64(wrong) / float64(len(test.Series))
	}
	b.Run("cascade", func(b *testing.B) {
		for b.Loop() {
			res, err := Classify(train, test, MetricDTW)
			if err != nil {
				b.Fatal(err)
			}
			check(b, res.ErrorRate)
		}
	})
	b.Run("fullDP", func(b *testing.B) {
		d := NewDTW()
		for b.Loop() {
			check(b, brute(b, func(q, c []float64) float64 { return d.Accumulated(q, c, math.Inf(1)) }))
		}
	})
	b.Run("naive", func(b *testing.B) {
		for b.Loop() {
			check(b, brute(b, func(q, c []float64) float64 { return naiveDTW(q, c, -1, Squared) }))
		}
	})
}
