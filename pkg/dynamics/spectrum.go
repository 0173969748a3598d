package dynamics

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

var inf = math.Inf(1)

// meanVar returns the mean and the (population) variance of x.
func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := v - mean
		variance += d * d
	}
	return mean, variance / float64(len(x))
}

// fftLen returns the largest length ≤ n whose only prime factors are 2, 3 and 5, which
// gonum's real FFT handles fastest.
func fftLen(n int) int {
	for l := n; l > 1; l-- {
		k := l
		for _, p := range [...]int{2, 3, 5} {
			for k%p == 0 {
				k /= p
			}
		}
		if k == 1 {
			return l
		}
	}
	return 1
}

// MeanPeriod returns the mean period of x in samples, 1/f̄ where f̄ is the power-weighted
// mean frequency of the periodogram (excluding the mean). Rosenstein et al. (1993) use it
// as the Theiler window and as the time scale of the divergence curve. It returns +Inf for
// a constant series.
func MeanPeriod(x []float64) float64 {
	n := fftLen(len(x))
	if n < 4 {
		return inf
	}
	mean, _ := meanVar(x[:n])
	buf := make([]float64, n)
	for i := range buf {
		buf[i] = x[i] - mean
	}
	coef := fourier.NewFFT(n).Coefficients(nil, buf)
	var sp, sfp float64
	for k := 1; k < len(coef); k++ {
		p := real(coef[k])*real(coef[k]) + imag(coef[k])*imag(coef[k])
		sp += p
		sfp += p * float64(k) / float64(n)
	}
	if sp == 0 || sfp == 0 {
		return inf
	}
	return sp / sfp
}

// Autocorrelation writes the sample autocorrelation of x at lags 0..len(dst)-1 into dst
// (allocating if dst is nil, with maxLag+1 entries) and returns it. The estimator divides
// every lag by the same total variance, so it is positive semi-definite.
func Autocorrelation(dst, x []float64, maxLag int) []float64 {
	if dst == nil {
		dst = make([]float64, maxLag+1)
	}
	mean, v := meanVar(x)
	n := len(x)
	for lag := range dst {
		if lag >= n || v == 0 {
			dst[lag] = 0
			continue
		}
		var s float64
		for i := 0; i+lag < n; i++ {
			s += (x[i] - mean) * (x[i+lag] - mean)
		}
		dst[lag] = s / (float64(n) * v)
	}
	return dst
}

// ranks returns the rank of each value of x (0..n-1, ties broken by position).
func ranks(x []float64) []int {
	ord := make([]int, len(x))
	for i := range ord {
		ord[i] = i
	}
	sort.SliceStable(ord, func(a, b int) bool { return x[ord[a]] < x[ord[b]] })
	r := make([]int, len(x))
	for k, i := range ord {
		r[i] = k
	}
	return r
}
