package seq

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveRepeat recomputes, from scratch at position i, the smallest qualifying period and its
// span by scanning backwards.
func naiveRepeat(s []int32, maxPeriod, minCount, minSpan int) (Repeat, bool) {
	i := len(s) - 1
	for p := 1; p <= maxPeriod && p <= i; p++ {
		r := 0
		for k := i; k-p >= 0 && s[k] == s[k-p]; k-- {
			r++
		}
		if (r+p)/p >= minCount && r+p >= minSpan {
			return Repeat{Start: len(s) - r - p, End: len(s), Period: p, Count: (r + p) / p}, true
		}
	}
	return Repeat{}, false
}

func TestRepeatDetectorAgreesWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for it := 0; it < 60; it++ {
		maxP := 1 + r.IntN(40)
		minCount, minSpan := 2+r.IntN(3), 1+r.IntN(20)
		d, err := NewRepeatDetector(maxP, WithMinCount(minCount), WithMinSpan(minSpan))
		if err != nil {
			t.Fatal(err)
		}
		// Random text with loops of random units spliced in.
		var s []int32
		for len(s) < 600 {
			s = append(s, randTokens(r, r.IntN(30), 20)...)
			unit := randTokens(r, 1+r.IntN(50), 20)
			for k := r.IntN(6); k > 0; k-- {
				s = append(s, unit...)
			}
		}
		prevP, prevC := 0, 0
		for i, tok := range s {
			got, ok := d.Push(tok)
			want, wok := naiveRepeat(s[:i+1], maxP, minCount, minSpan)
			report := wok && (want.Period != prevP || want.Count > prevC)
			if ok != report || (ok && got != want) {
				t.Fatalf("it %d pos %d: got %+v %v, want %+v %v", it, i, got, ok, want, report)
			}
			if cur, cok := d.Current(); cok != wok || (cok && cur != want) {
				t.Fatalf("Current at %d: %+v %v, want %+v %v", i, cur, cok, want, wok)
			}
			if wok {
				prevP, prevC = want.Period, want.Count
			} else {
				prevP, prevC = 0, 0
			}
		}
	}
}

func ExampleRepeatDetector() {
	d, _ := NewRepeatDetector(16, WithMinCount(3), WithMinSpan(6))
	stream := []int32{7, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2}
	for _, tok := range stream {
		if rep, ok := d.Push(tok); ok {
			fmt.Printf("tokens %d..%d repeat with period %d, %d times\n", rep.Start, rep.End-1, rep.Period, rep.Count)
		}
	}
	// Output:
	// tokens 1..9 repeat with period 3, 3 times
}
