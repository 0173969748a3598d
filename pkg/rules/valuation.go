package rules

import "math/bits"

// Valuation is a set of true propositions, one bit per proposition index of a Set.
type Valuation []uint64

// Has reports whether proposition i is true. Indices beyond the valuation are false.
func (v Valuation) Has(i int) bool {
	w := i >> 6
	return w < len(v) && v[w]&(1<<(uint(i)&63)) != 0
}

// Set makes proposition i true; it panics if i is beyond the valuation.
func (v Valuation) Set(i int) { v[i>>6] |= 1 << (uint(i) & 63) }

// Clear makes proposition i false; it panics if i is beyond the valuation.
func (v Valuation) Clear(i int) { v[i>>6] &^= 1 << (uint(i) & 63) }

// Count returns the number of true propositions.
func (v Valuation) Count() int {
	n := 0
	for _, w := range v {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return n
}

// Indices appends the indices of the true propositions to dst, in increasing order.
func (v Valuation) Indices(dst []int) []int {
	for w, x := range v {
		for ; x != 0; x &= x - 1 {
			dst = append(dst, w*64+bits.TrailingZeros64(x))
		}
	}
	return dst
}

// sized returns v resized to n words and zeroed, reusing its memory when possible.
func (v Valuation) sized(n int) Valuation {
	if cap(v) < n {
		return make(Valuation, n)
	}
	v = v[:n]
	for i := range v {
		v[i] = 0
	}
	return v
}

// Project packs the propositions idx into a uint64, bit j holding proposition idx[j]: the
// form a monitor over a rule's own atoms takes. It panics if len(idx) > 64.
func (v Valuation) Project(idx []int) uint64 {
	if len(idx) > 64 {
		panic("rules: Project: more than 64 propositions")
	}
	var out uint64
	for j, i := range idx {
		if v.Has(i) {
			out |= 1 << uint(j)
		}
	}
	return out
}
