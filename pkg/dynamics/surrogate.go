package dynamics

import (
	"cmp"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Surrogates generates iterative amplitude-adjusted Fourier transform (IAAFT) surrogates
// (Schreiber & Schmitz, PRL 77, 1996): series with the same values (the same marginal
// distribution, exactly) and nearly the same power spectrum as the original, but otherwise
// random. They realise the null hypothesis "a linear Gaussian process seen through a
// static monotone transform". The generator keeps its buffers, so it is not safe for
// concurrent use.
type Surrogates struct {
	x      []float64 // original (length a fast FFT size)
	sorted []float64
	amp    []float64 // Fourier amplitudes of x
	fft    *fourier.FFT
	coef   []complex128
	buf    []float64
	ord    []int
	pairs  []valIdx
	rng    *rand.Rand
	// MaxIter bounds the IAAFT iterations (default 20); iteration also stops when the
	// rank order no longer changes.
	MaxIter int
}

// NewSurrogates prepares IAAFT surrogates of x. len(x) should factor into 2, 3 and 5 for
// speed (see EndMatched). The seed fixes the random phases.
func NewSurrogates(x []float64, seed uint64) *Surrogates {
	n := len(x)
	s := &Surrogates{
		x:       x,
		sorted:  append([]float64(nil), x...),
		fft:     fourier.NewFFT(n),
		buf:     make([]float64, n),
		ord:     make([]int, n),
		pairs:   make([]valIdx, n),
		rng:     rand.New(rand.NewPCG(seed, 0x5a77)),
		MaxIter: 20,
	}
	sort.Float64s(s.sorted)
	s.coef = s.fft.Coefficients(nil, x)
	s.amp = make([]float64, len(s.coef))
	for k, c := range s.coef {
		s.amp[k] = cmplx.Abs(c)
	}
	return s
}

// Next writes a new surrogate into dst (allocating if nil) and returns it. It panics if
// len(dst) differs from the length of the original.
func (s *Surrogates) Next(dst []float64) []float64 {
	n := len(s.x)
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic("dynamics: surrogate destination length mismatch")
	}
	// Start from a random shuffle of the values.
	copy(dst, s.x)
	s.rng.Shuffle(n, func(i, j int) { dst[i], dst[j] = dst[j], dst[i] })
	prev := s.ord
	for i := range prev {
		prev[i] = -1
	}
	for it := 0; it < s.MaxIter; it++ {
		// Impose the amplitudes, keep the phases.
		s.fft.Coefficients(s.coef, dst)
		for k, c := range s.coef {
			a := cmplx.Abs(c)
			if a == 0 {
				s.coef[k] = complex(s.amp[k], 0)
				continue
			}
			s.coef[k] = c * complex(s.amp[k]/a, 0)
		}
		s.fft.Sequence(s.buf, s.coef)
		// Impose the values by rank.
		for i, v := range s.buf {
			s.pairs[i] = valIdx{v, int32(i)}
		}
		slices.SortFunc(s.pairs, func(a, b valIdx) int { return cmp.Compare(a.v, b.v) })
		same := true
		for r, p := range s.pairs {
			i := int(p.i)
			dst[i] = s.sorted[r]
			if prev[r] != i {
				same = false
				prev[r] = i
			}
		}
		if same {
			break
		}
	}
	return dst
}

// EndMatched returns the offset and length of the sub-series of x, at least 90% as long,
// whose length factors into 2, 3 and 5 and whose end points match best in value and in
// slope. Fourier surrogates treat a series as periodic; a jump between its last and first
// values is a spurious feature of the data that surrogates smear over the whole series,
// which biases the test against trending or slowly varying series (Schreiber & Schmitz
// 2000).
func EndMatched(x []float64) (off, n int) {
	n0 := len(x)
	_, v := meanVar(x)
	if v == 0 {
		return 0, fftLen(n0)
	}
	best := inf
	for l := n0; l >= n0*9/10 && l >= 4; l-- {
		if fftLen(l) != l {
			continue
		}
		for o := 0; o+l <= n0; o++ {
			a, b := x[o], x[o+l-1]
			da, db := x[o+1]-x[o], x[o+l-1]-x[o+l-2]
			c := ((a-b)*(a-b) + (da-db)*(da-db)) / v
			if c < best {
				best, off, n = c, o, l
			}
		}
	}
	if n == 0 {
		return 0, fftLen(n0)
	}
	return off, n
}

// PredictionError is the discriminating statistic of the surrogate test: the RMS error,
// relative to the standard deviation, of predicting x[i+h] by x[j+h] where j is the nearest
// neighbour of point i in the (m, tau) embedding outside the Theiler window (a locally
// constant predictor, Farmer & Sidorowich 1987). Deterministic dynamics are predictable
// from neighbours; linear stochastic processes much less so.
func PredictionError(x []float64, m, tau, h, theiler int, tree *kdTree) float64 {
	e, err := NewEmbedding(x, m, tau)
	if err != nil || e.n-h < 2*theiler+4 {
		return math.NaN()
	}
	np := e.n - h
	if tree == nil {
		tree = new(kdTree)
	}
	tree.reset(e, np)
	_, v := meanVar(x)
	q := make([]float64, m)
	var s float64
	var cnt int
	for i := 0; i < np; i++ {
		j, _ := tree.nearest(e.Point(q, i), i, theiler)
		if j < 0 {
			continue
		}
		d := x[i+(m-1)*tau+h] - x[j+(m-1)*tau+h]
		s += d * d
		cnt++
	}
	if cnt == 0 || v == 0 {
		return math.NaN()
	}
	return math.Sqrt(s / float64(cnt) / v)
}

// SurrogateTest is the outcome of a rank test of the null hypothesis "linear Gaussian
// process, possibly observed through a static monotone transform" against IAAFT
// surrogates, with the nonlinear prediction error as statistic (one-sided: deterministic
// structure makes the data more predictable than their surrogates).
type SurrogateTest struct {
	Statistic  float64   `json:"statistic"`
	Surrogates []float64 `json:"surrogates"`
	// PValue is (1 + number of surrogates at most as predictable... i.e. with a statistic
	// ≤ the data's) / (1 + number of surrogates): the exact rank p-value.
	PValue   float64 `json:"p_value"`
	Alpha    float64 `json:"alpha"`
	Rejected bool    `json:"rejected"`
	// Offset and Length locate the end-matched segment that was tested.
	Offset int `json:"offset"`
	Length int `json:"length"`
}

// TestSurrogates runs the surrogate test on x with embedding (m, tau), horizon h and the
// given Theiler window, with k surrogates; the null is rejected when p ≤ alpha. With k
// surrogates the smallest possible p is 1/(k+1), so k must be at least 1/alpha - 1.
func TestSurrogates(x []float64, m, tau, h, theiler, k int, alpha float64, seed uint64) (SurrogateTest, error) {
	if k < 1 || alpha <= 0 || alpha >= 1 {
		return SurrogateTest{}, &ParamError{Name: "surrogates", Value: k, Why: "need k ≥ 1 and 0 < alpha < 1"}
	}
	off, n := EndMatched(x)
	seg := x[off : off+n]
	var tree kdTree
	st := SurrogateTest{Alpha: alpha, Offset: off, Length: n, Surrogates: make([]float64, k)}
	st.Statistic = PredictionError(seg, m, tau, h, theiler, &tree)
	if math.IsNaN(st.Statistic) {
		return st, &SeriesError{Index: -1, N: len(x), Need: (m-1)*tau + h + 2*theiler + 4, Err: ErrTooShort}
	}
	gen := NewSurrogates(seg, seed)
	sur := make([]float64, n)
	le := 1
	for i := range st.Surrogates {
		gen.Next(sur)
		st.Surrogates[i] = PredictionError(sur, m, tau, h, theiler, &tree)
		if st.Surrogates[i] <= st.Statistic {
			le++
		}
	}
	st.PValue = float64(le) / float64(k+1)
	st.Rejected = st.PValue <= alpha
	return st, nil
}

type valIdx struct {
	v float64
	i int32
}
