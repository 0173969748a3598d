package dynamics

import (
	"math"
)

// CorrelationDimension is the Grassberger–Procaccia estimate of the correlation
// dimension D2.
type CorrelationDimension struct {
	// D2 is the estimate: the mean slope of the converged embedding dimensions, or the
	// slope at the largest dimension when the slopes did not converge.
	D2 float64 `json:"d2"`
	// Converged reports that the slope stopped growing with the embedding dimension (the
	// last two dimensions agree within 10%); noise fills every dimension and never
	// converges.
	Converged bool `json:"converged"`
	// Dims are the embedding dimensions tried and Slopes the scaling-region slope at each.
	Dims   []int     `json:"dims"`
	Slopes []float64 `json:"slopes"`
	// Fits holds the scaling region of each dimension, as indices into Radii.
	Fits []LineFit `json:"fits"`
	// Radii are the radii at which the correlation sums were evaluated and LogC[d][k] is
	// ln C(Radii[k]) at Dims[d] (NaN where no pair was that close).
	Radii []float64   `json:"radii,omitempty"`
	LogC  [][]float64 `json:"log_c,omitempty"`
}

// Correlation-sum histogram: a squared distance's float64 bits shifted right by
// corrShift keep its exponent and its top 3 mantissa bits, a monotone key that splits
// every octave of d² (half-octave of d) into 8 bins, so binning costs no logarithm.
const (
	corrShift = 49
	corrKeys  = 1 << (63 - corrShift)
)

// keyRadius returns the distance at the upper edge of histogram key k.
func keyRadius(k int) float64 {
	return math.Sqrt(math.Float64frombits(uint64(k+1) << corrShift))
}

// GPConfig holds the parameters of the Grassberger–Procaccia estimate.
type GPConfig struct {
	Dims    []int // embedding dimensions (default 1..5)
	Delay   int   // embedding delay (default 1)
	Theiler int   // pairs closer in time are excluded (default 0)
	// Refs bounds the number of reference points (default 1000): C(r) is averaged over
	// pairs between Refs evenly spaced reference points and all points, which keeps the
	// cost at O(Refs · n) per dimension.
	Refs int
	// MinPairs is the smallest number of pairs within a radius for that radius to enter a
	// fit (default 50); below it ln C is dominated by counting noise.
	MinPairs int
	// MaxC is the largest correlation sum in a scaling region (default 0.3): beyond it
	// the finite size of the attractor bends the curve.
	MaxC float64
	// MinSpan is the smallest scaling region, in ln r (default ln 4: a factor 4 in r).
	MinSpan float64
	// Tol is the largest RMS residual (in ln C) of a scaling region (default 0.03).
	Tol float64
}

// GrassbergerProcaccia estimates the correlation dimension of x (Grassberger & Procaccia,
// Physica D 9, 1983): the correlation sum C(r), the fraction of pairs of embedded points
// closer than r (excluding pairs closer in time than the Theiler window), is computed for
// each embedding dimension and its log-log slope is taken over the scaling region, found
// automatically as the straight stretch of ln C(r) against ln r spanning at least MinSpan
// with the largest rise (see bestLinear), between MinPairs pairs and C = MaxC.
func GrassbergerProcaccia(x []float64, cfg GPConfig) (CorrelationDimension, error) {
	if len(cfg.Dims) == 0 {
		cfg.Dims = []int{1, 2, 3, 4, 5}
	}
	if cfg.Delay == 0 {
		cfg.Delay = 1
	}
	if cfg.Refs == 0 {
		cfg.Refs = 1000
	}
	if cfg.MinPairs == 0 {
		cfg.MinPairs = 50
	}
	if cfg.MaxC == 0 {
		cfg.MaxC = 0.3
	}
	if cfg.MinSpan == 0 {
		cfg.MinSpan = math.Log(4)
	}
	if cfg.Tol == 0 {
		cfg.Tol = 0.03
	}
	maxDim := 0
	for _, m := range cfg.Dims {
		if m < 1 {
			return CorrelationDimension{}, &ParamError{Name: "dimension", Value: m, Why: "must be at least 1"}
		}
		maxDim = max(maxDim, m)
	}
	if cfg.Delay < 1 || cfg.Theiler < 0 || cfg.Refs < 1 {
		return CorrelationDimension{}, &ParamError{Name: "gp config", Value: cfg, Why: "delay and refs must be positive, theiler non-negative"}
	}
	need := (maxDim-1)*cfg.Delay + 2*cfg.Theiler + 32
	if err := checkSeries(x, need); err != nil {
		return CorrelationDimension{}, err
	}
	hist := make([]float64, corrKeys)
	res := CorrelationDimension{Dims: cfg.Dims}
	var lo, hi = corrKeys, 0 // key range seen over all dims
	cums := make([][]float64, len(cfg.Dims))
	totals := make([]float64, len(cfg.Dims))
	for di, m := range cfg.Dims {
		e, _ := NewEmbedding(x, m, cfg.Delay)
		n := e.n
		refs := min(cfg.Refs, n)
		step := float64(n) / float64(refs)
		clear(hist)
		var total float64
		for r := 0; r < refs; r++ {
			i := int(float64(r) * step)
			for j := 0; j < n; j++ {
				if d := j - i; d <= cfg.Theiler && d >= -cfg.Theiler {
					continue
				}
				var s float64
				for c := 0; c < m; c++ {
					d := x[i+c*cfg.Delay] - x[j+c*cfg.Delay]
					s += d * d
				}
				hist[math.Float64bits(s)>>corrShift]++
				total++
			}
		}
		if total == 0 {
			return res, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
		}
		cum := make([]float64, corrKeys)
		var c float64
		for k := range hist {
			c += hist[k]
			cum[k] = c
			if hist[k] > 0 {
				lo, hi = min(lo, k), max(hi, k)
			}
		}
		cums[di], totals[di] = cum, total
	}
	if lo == 0 {
		lo = 1 // key 0 is distance 0 (and subnormals): no radius to put it at
	}
	res.Radii = make([]float64, hi-lo+1)
	lr := make([]float64, len(res.Radii))
	for k := range res.Radii {
		res.Radii[k] = keyRadius(lo + k)
		lr[k] = math.Log(res.Radii[k])
	}
	for di := range cfg.Dims {
		cum, total := cums[di], totals[di]
		lc := make([]float64, len(res.Radii))
		fitLo, fitHi := len(lc), 0
		for k := range lc {
			c := cum[lo+k] - cum[0] // zero distances sit below every radius
			if c <= 0 {
				lc[k] = math.NaN()
				continue
			}
			lc[k] = math.Log(c / total)
			if c >= float64(cfg.MinPairs) && c/total <= cfg.MaxC {
				fitLo, fitHi = min(fitLo, k), max(fitHi, k+1)
			}
		}
		res.LogC = append(res.LogC, lc)
		if fitHi-fitLo < 4 {
			return res, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
		}
		// Only the fit window may be used: mask what lies outside it.
		f, _ := bestLinear(lr, lc, fitLo, fitHi, 4, cfg.MinSpan, cfg.Tol)
		if math.IsInf(f.RMS, 1) {
			return res, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
		}
		res.Fits = append(res.Fits, f)
		res.Slopes = append(res.Slopes, f.Slope)
	}
	k := len(res.Slopes)
	res.D2 = res.Slopes[k-1]
	if k >= 2 {
		a, b := res.Slopes[k-2], res.Slopes[k-1]
		if math.Abs(b-a) <= 0.1*max(math.Abs(a), math.Abs(b)) {
			res.Converged = true
			res.D2 = (a + b) / 2
		}
	}
	return res, nil
}
