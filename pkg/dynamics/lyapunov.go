package dynamics

import (
	"math"
)

// maxSteps bounds the default length of the divergence curve, and so the cost
// O(n·Steps·m) of very long or very slowly sampled series.
const maxSteps = 4096

// LyapunovEstimate is the largest Lyapunov exponent estimated by Rosenstein's method.
type LyapunovEstimate struct {
	// PerSample is the exponent in nats per sample; PerTime = PerSample / Dt.
	PerSample float64 `json:"per_sample"`
	PerTime   float64 `json:"per_time"`
	Dt        float64 `json:"dt"`
	// Divergence[k] is the mean over reference points of ln d(k), the distance after k
	// samples between a point and its nearest neighbour; NaN where no pair had a non-zero
	// distance. Pairs[k] is the number of pairs averaged.
	Divergence []float64 `json:"divergence,omitempty"`
	Pairs      []int     `json:"pairs,omitempty"`
	// Fit is the line fitted to Divergence against k (in samples). Linear reports whether
	// the fit region met the linearity tolerance; when false the exponent is unreliable.
	Fit    LineFit `json:"fit"`
	Linear bool    `json:"linear"`
	// Theiler is the temporal exclusion window and MinSpan the minimum length of the fit
	// region, both in samples.
	Theiler int     `json:"theiler"`
	MinSpan float64 `json:"min_span"`
	// Period, when positive, is the period (samples) over whole multiples of which the
	// curve was fitted.
	Period float64 `json:"period,omitempty"`
}

// RosensteinConfig holds the parameters of Rosenstein's method. Zero values select the
// defaults described on each field.
type RosensteinConfig struct {
	// Theiler excludes neighbours closer in time than this many samples (0: the mean
	// period, rounded up; negative: no exclusion).
	Theiler int
	// Steps is the length of the divergence curve (default: 5 mean periods, at least 40,
	// at most a third of the points and at most maxSteps = 4096).
	Steps int
	// MinSpan is the minimum length in samples of the fitted region (default: one mean
	// period, at least 4 samples). A divergence curve of a flow rises steeply for a
	// fraction of a period before its linear part; requiring a span of about a period keeps
	// the fit from locking onto that transient.
	MinSpan float64
	// Period, when positive, fits the curve over the longest whole number of periods,
	// which cancels the ripple of a periodic signal.
	Period float64
	// Tol is the largest RMS residual (nats) of a straight stretch (default 0.03).
	Tol float64
	// Dt is the sampling interval (default 1).
	Dt float64
	// MeanPeriod, when positive, saves recomputing the mean period of the series.
	MeanPeriod float64
}

// Rosenstein estimates the largest Lyapunov exponent of the embedded series e by the
// method of Rosenstein, Collins & De Luca (Physica D 65, 1993): every point is paired with
// its nearest neighbour outside the Theiler window, the mean logarithm of their distance
// is followed for Steps samples, and the slope of the straight part of that curve is the
// exponent. Pairs at zero distance are skipped (periodic and settled series repeat points
// exactly; distances below 1e-10 standard deviations count as zero). Reference points and neighbours are taken among the first Len()-Steps points
// so every step averages the same pairs.
//
// The straight part is chosen automatically (see bestLinear): among stretches spanning at
// least MinSpan samples whose residual is within Tol, the one with the largest rise.
func Rosenstein(e Embedding, cfg RosensteinConfig) (LyapunovEstimate, error) {
	x := e.x
	mp := cfg.MeanPeriod
	if mp <= 0 {
		mp = MeanPeriod(x)
	}
	if math.IsInf(mp, 0) || math.IsNaN(mp) {
		return LyapunovEstimate{}, &SeriesError{Index: -1, N: len(x), Err: ErrConstant}
	}
	mp = min(mp, float64(e.n)/4)
	if cfg.Dt == 0 {
		cfg.Dt = 1
	}
	if cfg.Dt < 0 || math.IsNaN(cfg.Dt) || math.IsInf(cfg.Dt, 0) {
		return LyapunovEstimate{}, &ParamError{Name: "dt", Value: cfg.Dt, Why: "must be positive and finite"}
	}
	switch {
	case cfg.Theiler == 0:
		cfg.Theiler = int(math.Ceil(mp))
	case cfg.Theiler < 0:
		cfg.Theiler = 0
	}
	if cfg.Steps == 0 {
		cfg.Steps = max(int(5*mp), 40)
		if cfg.Period > 0 {
			cfg.Steps = max(cfg.Steps, int(math.Ceil(3*cfg.Period))+1)
		}
		cfg.Steps = min(cfg.Steps, e.n/3, maxSteps)
	}
	if cfg.Steps < 0 {
		return LyapunovEstimate{}, &ParamError{Name: "steps", Value: cfg.Steps, Why: "must not be negative"}
	}
	if cfg.MinSpan == 0 {
		cfg.MinSpan = max(mp, 4)
	}
	if cfg.Tol == 0 {
		cfg.Tol = 0.03
	}
	K := cfg.Steps
	np := e.n - K
	if K < 4 || np < 2*cfg.Theiler+8 {
		return LyapunovEstimate{}, &SeriesError{Index: -1, N: len(x), Need: len(x) + 2*cfg.Theiler + 8 - np, Err: ErrTooShort}
	}
	var tree kdTree
	tree.reset(e, np)
	m, tau := e.m, e.tau
	q := make([]float64, m)
	// Σ ln d² per step is accumulated as a product of mantissas and a sum of binary
	// exponents (math.Frexp): exact to rounding and without a logarithm per pair, which
	// would otherwise be half of the cost.
	mant := make([]float64, K)
	exps := make([]int, K)
	for k := range mant {
		mant[k] = 1
	}
	cnt := make([]int, K)
	span := K + (m-1)*tau
	d2 := make([]float64, span)
	for i := 0; i < np; i++ {
		j, _ := tree.nearest(e.Point(q, i), i, cfg.Theiler)
		if j < 0 {
			continue
		}
		xi, xj := x[i:i+span], x[j:j+span]
		for t := range d2 {
			d := xi[t] - xj[t]
			d2[t] = d * d
		}
		for k := 0; k < K; k++ {
			var s float64
			for c := 0; c < m; c++ {
				s += d2[k+c*tau]
			}
			if s > tree.minD2 {
				fr, ex := math.Frexp(s)
				p := mant[k] * fr
				if p < 1e-200 {
					var e2 int
					p, e2 = math.Frexp(p)
					ex += e2
				}
				mant[k] = p
				exps[k] += ex
				cnt[k]++
			}
		}
	}
	div := make([]float64, K)
	ks := make([]float64, K)
	for k := range div {
		ks[k] = float64(k)
		if cnt[k] == 0 {
			div[k] = math.NaN()
			continue
		}
		sum := math.Log(mant[k]) + float64(exps[k])*math.Ln2
		div[k] = 0.5 * sum / float64(cnt[k]) // ln d = ½ ln d²
	}
	est := LyapunovEstimate{Divergence: div, Pairs: cnt, Theiler: cfg.Theiler, MinSpan: cfg.MinSpan, Dt: cfg.Dt}
	if cnt[0] == 0 {
		return est, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
	}
	if cfg.Period > 0 {
		// Whole periods, starting after the first sample (whose pairs are the neighbours
		// themselves, not yet following the dynamics).
		est.Period = cfg.Period
		whole := math.Floor(float64(K-2) / cfg.Period)
		if whole >= 1 {
			hi := 1 + int(math.Round(whole*cfg.Period))
			f, n := newPrefix(ks, div).fit(1, min(hi+1, K))
			if n >= 2 {
				est.Fit, est.Linear = f, true
				est.PerSample = f.Slope
				est.PerTime = f.Slope / cfg.Dt
				return est, nil
			}
		}
	}
	minLen := max(int(math.Ceil(cfg.MinSpan))+1, 4)
	if minLen > K {
		minLen = K
	}
	f, ok := bestLinear(ks, div, 0, K, minLen, cfg.MinSpan, cfg.Tol)
	if math.IsInf(f.RMS, 1) {
		return est, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
	}
	est.Fit, est.Linear = f, ok
	est.PerSample = f.Slope
	est.PerTime = f.Slope / cfg.Dt
	return est, nil
}
