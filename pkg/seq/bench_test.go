package seq

import (
	"fmt"
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
