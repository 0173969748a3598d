package seq

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// maxPeqWords caps the bit-parallel tables (distinct symbols × 64-bit words of the pattern):
// beyond it (pattern of roughly 16k distinct tokens) the DP with two rows is used instead.
const maxPeqWords = 1 << 22

// maxTraceWords caps the bit vectors kept for recovering an LCS (text length × pattern words).
const maxTraceWords = 1 << 25

// Aligner computes LCS and edit distance between int32 token sequences with bit-parallel
// algorithms: Hyyrö's LCS length (Allison–Dix / Crochemore et al. formulation, Hyyrö 2004) and
// Myers' edit distance in Hyyrö's block form (Myers 1999, Hyyrö 2003), one 64-bit word per 64
// pattern tokens, O(⌈m/64⌉·n) time. Tokens are mapped to dense symbol ids first, so any int32
// alphabet qualifies. It keeps its tables between calls: reuse an Aligner to avoid allocation.
// An Aligner is not safe for concurrent use.
type Aligner struct {
	tab   symtab
	peq   []uint64 // symbol-major: peq[s*words+k]
	text  []int32  // symbol id per text token (-1: absent from the pattern)
	v, mv []uint64
	zero  []uint64 // match mask of tokens absent from the pattern
	trace []uint64
	row   []int
	// peqCap overrides maxPeqWords when positive (tests use it to force the DP fallback).
	peqCap int
}

// prepare builds the match masks of pattern p and maps text t onto its symbols. It reports
// false when the tables would exceed maxPeqWords.
func (al *Aligner) prepare(p, t []int32) (words int, ok bool) {
	words = (len(p) + 63) / 64
	al.tab.reset(len(p))
	for _, c := range p {
		al.tab.put(c)
	}
	nsym := int(al.tab.n)
	limit := maxPeqWords
	if al.peqCap > 0 {
		limit = al.peqCap
	}
	if nsym*words > limit {
		return words, false
	}
	if cap(al.peq) < nsym*words {
		al.peq = make([]uint64, nsym*words)
	}
	al.peq = al.peq[:nsym*words]
	clear(al.peq)
	for i, c := range p {
		s := int(al.tab.get(c))
		al.peq[s*words+i/64] |= 1 << (uint(i) % 64)
	}
	if cap(al.text) < len(t) {
		al.text = make([]int32, len(t))
	}
	al.text = al.text[:len(t)]
	for j, c := range t {
		al.text[j] = al.tab.get(c)
	}
	if cap(al.v) < words {
		al.v = make([]uint64, words)
		al.mv = make([]uint64, words)
		al.zero = make([]uint64, words)
	}
	al.v, al.mv = al.v[:words], al.mv[:words]
	return words, true
}

// LCSLength returns the length of a longest common subsequence of a and b.
func (al *Aligner) LCSLength(a, b []int32) int {
	if len(a) > len(b) {
		a, b = b, a // the shorter is the bit-vector pattern
	}
	if len(a) == 0 {
		return 0
	}
	words, ok := al.prepare(a, b)
	if !ok {
		return al.lcsDP(a, b)
	}
	v := al.v
	for k := range v {
		v[k] = ^uint64(0)
	}
	for _, s := range al.text {
		if s < 0 {
			continue // no match in this column: V is unchanged
		}
		lcsStep(v, al.peq[int(s)*words:int(s+1)*words])
	}
	return len(a) - onesLow(v, len(a))
}

// lcsStep advances the LCS bit vector by one text symbol with match mask m:
// V' = (V + (V & M)) | (V &^ M), the addition carried across words.
func lcsStep(v, m []uint64) {
	m = m[:len(v)]
	var carry uint64
	for k, x := range v {
		u := x & m[k]
		var sum uint64
		sum, carry = bits.Add64(x, u, carry)
		v[k] = sum | (x &^ m[k])
	}
}

// onesLow counts the set bits among the low n bits of v.
func onesLow(v []uint64, n int) int {
	c := 0
	for k := 0; k < n/64; k++ {
		c += bits.OnesCount64(v[k])
	}
	if r := n % 64; r != 0 {
		c += bits.OnesCount64(v[n/64] & (1<<uint(r) - 1))
	}
	return c
}

// LCS appends a longest common subsequence of a and b to dst. It keeps one bit vector per
// token of the longer input (O(len(a)·len(b)/64) words) to trace the subsequence back, and
// returns an error matching ErrTooLarge if that exceeds 2^25 words (256 MiB).
func (al *Aligner) LCS(dst, a, b []int32) ([]int32, error) {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return dst, nil
	}
	words := (len(a) + 63) / 64
	if words*(len(b)+1) > maxTraceWords {
		return dst, fmt.Errorf("%w: LCS trace of %d×%d tokens", ErrTooLarge, len(a), len(b))
	}
	if _, ok := al.prepare(a, b); !ok {
		return dst, fmt.Errorf("%w: LCS alphabet of %d×%d tokens", ErrTooLarge, len(a), len(b))
	}
	n := len(b)
	if cap(al.trace) < words*(n+1) {
		al.trace = make([]uint64, words*(n+1))
	}
	tr := al.trace[:words*(n+1)]
	for k := range words {
		tr[k] = ^uint64(0)
	}
	for j, s := range al.text {
		cur := tr[(j+1)*words : (j+2)*words]
		copy(cur, tr[j*words:(j+1)*words])
		if s >= 0 {
			lcsStep(cur, al.peq[int(s)*words:int(s+1)*words])
		}
	}
	// Bit i-1 of V_j is 0 exactly when L[i][j] = L[i-1][j] + 1 (Hyyrö 2004), which tells the
	// traceback whether stepping up keeps the length.
	length := len(a) - onesLow(tr[n*words:], len(a))
	start := len(dst)
	dst = append(dst, make([]int32, length)...)
	out := dst[start:]
	k := length
	i, j := len(a), n
	for i > 0 && j > 0 && k > 0 {
		if a[i-1] == b[j-1] {
			k--
			out[k] = a[i-1]
			i, j = i-1, j-1
			continue
		}
		if tr[j*words+(i-1)/64]>>(uint(i-1)%64)&1 == 1 {
			i--
		} else {
			j--
		}
	}
	return dst, nil
}

func (al *Aligner) lcsDP(a, b []int32) int {
	row := al.intRow(len(a) + 1)
	clear(row)
	for _, y := range b {
		diag := 0
		for i, x := range a {
			up := row[i+1]
			if x == y {
				row[i+1] = diag + 1
			} else if row[i] > up {
				row[i+1] = row[i]
			}
			diag = up
		}
	}
	return row[len(a)]
}

func (al *Aligner) intRow(n int) []int {
	if cap(al.row) < n {
		al.row = make([]int, n)
	}
	return al.row[:n]
}

// EditDistance returns the Levenshtein distance (unit insertions, deletions and
// substitutions) between a and b.
func (al *Aligner) EditDistance(a, b []int32) int {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return len(b)
	}
	words, ok := al.prepare(a, b)
	if !ok {
		return al.editDP(a, b)
	}
	pv, mv := al.v, al.mv
	for k := range pv {
		pv[k], mv[k] = ^uint64(0), 0
	}
	last := uint(len(a)-1) % 64
	if words == 1 {
		return myersSingle(pv[0], al.peq, al.text, len(a), last)
	}
	score := len(a)
	zero := al.zero[:words]
	for _, s := range al.text {
		eq := zero
		if s >= 0 {
			eq = al.peq[int(s)*words : int(s+1)*words]
		}
		score += myersColumn(pv, mv, eq, 1, last)
	}
	return score
}

// myersSingle is Myers' global edit distance for a pattern of at most 64 tokens: one word,
// the whole text in one loop (Myers 1999, Fig. 5 with Hyyrö's formulation).
func myersSingle(pv uint64, peq []uint64, text []int32, m int, last uint) int {
	var mv uint64
	score := m
	for _, s := range text {
		var e uint64
		if s >= 0 {
			e = peq[s]
		}
		xv := e | mv
		xh := (((e & pv) + pv) ^ pv) | e
		ph := mv | ^(xh | pv)
		mh := pv & xh
		score += int(ph>>last&1) - int(mh>>last&1)
		ph = ph<<1 | 1 // the top row grows by one per column (global distance)
		mh <<= 1
		pv = mh | ^(xv | ph)
		mv = ph & xv
	}
	return score
}

// myersColumn advances the vertical delta vectors (pv, mv) of Myers' algorithm by one text
// column with match masks eq (all zero when the token is absent from the pattern), hin being
// the horizontal delta entering the top row (+1 for global distance, 0 for matching anywhere
// in the text). It returns the horizontal delta leaving the last pattern row, at bit last of
// the last word; bits above it are padding that never flows down into real rows. This is
// Hyyrö's block step as written in edlib, with the carries between words made branch-free.
func myersColumn(pv, mv, eq []uint64, hin int, last uint) int {
	n := len(pv)
	mv, eq = mv[:n], eq[:n]
	for k := 0; k < n; k++ {
		neg := uint64(hin) >> 63  // 1 if hin < 0
		pos := uint64(-hin) >> 63 // 1 if hin > 0
		e, p, m := eq[k], pv[k], mv[k]
		xv := e | m
		e |= neg
		xh := (((e & p) + p) ^ p) | e
		ph := m | ^(xh | p)
		mh := p & xh
		bit := uint(63)
		if k == n-1 {
			bit = last
		}
		hin = int(ph>>bit&1) - int(mh>>bit&1)
		ph = ph<<1 | pos
		mh = mh<<1 | neg
		pv[k] = mh | ^(xv | ph)
		mv[k] = ph & xv
	}
	return hin
}

func (al *Aligner) editDP(a, b []int32) int {
	row := al.intRow(len(a) + 1)
	for i := range row {
		row[i] = i
	}
	for j, y := range b {
		diag := row[0]
		row[0] = j + 1
		for i, x := range a {
			up := row[i+1]
			v := diag
			if x != y {
				v = min(diag, up, row[i]) + 1
			}
			row[i+1] = v
			diag = up
		}
	}
	return row[len(a)]
}

var alignerPool = sync.Pool{New: func() any { return new(Aligner) }}

// ids maps two sequences of any comparable token type onto int32 symbol ids; []int32 inputs
// pass through unchanged.
func ids[T comparable](a, b []T) ([]int32, []int32) {
	if x, ok := any(a).([]int32); ok {
		return x, any(b).([]int32)
	}
	m := make(map[T]int32, len(a))
	conv := func(s []T) []int32 {
		out := make([]int32, len(s))
		for i, t := range s {
			id, ok := m[t]
			if !ok {
				id = int32(len(m))
				m[t] = id
			}
			out[i] = id
		}
		return out
	}
	return conv(a), conv(b)
}

// LCSLength returns the length of a longest common subsequence of a and b. Tokens of any
// comparable type (int32 ids, strings) are accepted; non-int32 tokens are mapped to ids first,
// which allocates. Use an Aligner for repeated calls on int32 ids.
func LCSLength[T comparable](a, b []T) int {
	x, y := ids(a, b)
	al := alignerPool.Get().(*Aligner)
	defer alignerPool.Put(al)
	return al.LCSLength(x, y)
}

// LCS returns a longest common subsequence of a and b (see Aligner.LCS for the limits).
func LCS[T comparable](a, b []T) ([]T, error) {
	x, y := ids(a, b)
	al := alignerPool.Get().(*Aligner)
	defer alignerPool.Put(al)
	sub, err := al.LCS(nil, x, y)
	if err != nil {
		return nil, err
	}
	// Map ids back through the positions of a greedy embedding in a.
	out := make([]T, 0, len(sub))
	k := 0
	for i := range x {
		if k < len(sub) && x[i] == sub[k] {
			out = append(out, a[i])
			k++
		}
	}
	return out, nil
}

// EditDistance returns the Levenshtein distance between a and b (any comparable token type).
func EditDistance[T comparable](a, b []T) int {
	x, y := ids(a, b)
	al := alignerPool.Get().(*Aligner)
	defer alignerPool.Put(al)
	return al.EditDistance(x, y)
}

// TokenDTW returns the DTW cost between token sequences with 0/1 cell cost (0 when tokens are
// equal): the least number of mismatched aligned pairs over warping paths, within a
// Sakoe–Chiba band of half-width window (negative: unconstrained; widened to the length
// difference as for numeric DTW). It returns 0 for two empty sequences and -1 when exactly one
// is empty. It allocates two rows.
func TokenDTW[T comparable](a, b []T, window int) int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		if n == m {
			return 0
		}
		return -1
	}
	w := effectiveWindow(window, n, m)
	const inf = math.MaxInt / 2
	prev, cur := make([]int, m+1), make([]int, m+1)
	for j := range prev {
		prev[j] = inf
	}
	prev[0] = 0
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-w), min(m, i+w)
		cur[lo-1] = inf
		x := a[i-1]
		for j := lo; j <= hi; j++ {
			c := 0
			if x != b[j-1] {
				c = 1
			}
			cur[j] = c + min(prev[j-1], prev[j], cur[j-1])
		}
		if hi < m {
			cur[hi+1] = inf
		}
		prev, cur = cur, prev
	}
	return prev[m]
}

// TokenEuclidean returns the Euclidean distance between equal-length token sequences under
// 0/1 cost: the square root of the number of positions whose tokens differ. It panics if the
// lengths differ.
func TokenEuclidean[T comparable](a, b []T) float64 {
	if len(a) != len(b) {
		panic("seq: TokenEuclidean: length mismatch")
	}
	d := 0
	for i := range a {
		if a[i] != b[i] {
			d++
		}
	}
	return math.Sqrt(float64(d))
}
