package learn

import (
	"fmt"
	"math"
)

// Normal quantiles for two-sided 95% and 99% intervals.
const (
	Z95 = 1.959963984540054
	Z99 = 2.5758293035489004
)

// Rate counts successes out of trials and reports the proportion with a Wilson score interval
// (Wilson, JASA 22 (1927) 209). Unlike the Wald interval p ± z√(p(1-p)/n), Wilson's interval
// keeps close to its nominal coverage for small n and for p near 0 or 1 (Newcombe, Statistics
// in Medicine 17 (1998) 857), which is where feedback-driven rates live.
type Rate struct {
	Hits   uint64
	Trials uint64
}

// Add records one trial.
func (r *Rate) Add(hit bool) {
	r.Trials++
	if hit {
		r.Hits++
	}
}

// Remove takes back one trial recorded with Add(hit); used when a label is corrected. It panics
// if there is no such trial to remove, which is a bookkeeping bug in the caller.
func (r *Rate) Remove(hit bool) {
	if r.Trials == 0 || (hit && r.Hits == 0) || (!hit && r.Trials == r.Hits) {
		panic("learn: Rate.Remove of a trial that was never added")
	}
	r.Trials--
	if hit {
		r.Hits--
	}
}

// P returns the observed proportion, NaN with no trials.
func (r Rate) P() float64 {
	if r.Trials == 0 {
		return math.NaN()
	}
	return float64(r.Hits) / float64(r.Trials)
}

// Wilson returns the Wilson score interval for z (Z95 for 95%). With no trials it returns
// [0, 1], the honest answer.
func (r Rate) Wilson(z float64) (lo, hi float64) {
	return Wilson(r.Hits, r.Trials, z)
}

// Wilson returns the Wilson score interval of hits out of n at normal quantile z. It panics if
// hits > n.
func Wilson(hits, n uint64, z float64) (lo, hi float64) {
	if hits > n {
		panic(fmt.Sprintf("learn: Wilson(%d, %d): hits > n", hits, n))
	}
	if n == 0 {
		return 0, 1
	}
	nf := float64(n)
	p := float64(hits) / nf
	z2 := z * z
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi = center-half, center+half
	// At the boundaries the formula gives 0 and 1 up to rounding.
	if hits == 0 {
		lo = 0
	}
	if hits == n {
		hi = 1
	}
	return max(lo, 0), min(hi, 1)
}
