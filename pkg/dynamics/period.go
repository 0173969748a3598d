package dynamics

import "math"

// PeriodEstimate is the outcome of the periodicity test.
type PeriodEstimate struct {
	// Period in samples (fractional: interpolated), 0 if no candidate was found.
	Period float64 `json:"period"`
	// Periodic reports that the series recurs at every multiple of Period checked, within
	// the tolerance: its recurrence error never exceeds Tol.
	Periodic bool `json:"periodic"`
	// Errors[k-1] is the normalised recurrence error D(k·Period) = mean (x[t+kP] - x[t])² /
	// (2 var x): 0 for an exact repeat, about 1 for unrelated values. It grows with k for
	// chaos (neighbouring cycles diverge) and stays flat for a limit cycle.
	Errors []float64 `json:"errors,omitempty"`
	// Explained is 1 - max(Errors): the fraction of variance that the periodic recurrence
	// reproduces over all periods checked.
	Explained float64 `json:"explained"`
	Tol       float64 `json:"tol"`
}

// Periodicity parameters: a series is periodic when shifting it by every multiple of the
// period up to periodMaxMultiples (and at least periodMinMultiples of them, so that
// divergence between cycles has room to show) leaves a recurrence error at most
// periodTol, i.e. the shifted copy reproduces at least 95% of the variance.
const (
	periodTol          = 0.05
	periodMinMultiples = 3
	periodMaxMultiples = 8
)

// DetectPeriod looks for a period of at most maxPeriod samples. The candidate is the first
// local minimum of the difference function D(τ) below the tolerance (the method of YIN,
// de Cheveigné & Kawahara 2002, with a variance normalisation), refined by parabolic
// interpolation and by the minimum near its largest multiple; it is then checked at every
// multiple. The cost is O(n · maxPeriod).
func DetectPeriod(x []float64, maxPeriod int) PeriodEstimate {
	est := PeriodEstimate{Tol: periodTol}
	n := len(x)
	maxPeriod = min(maxPeriod, n/(periodMinMultiples+1))
	if maxPeriod < 2 {
		return est
	}
	_, v := meanVar(x)
	if v == 0 {
		return est
	}
	d := make([]float64, maxPeriod+2)
	for tau := 1; tau < len(d); tau++ {
		d[tau] = diffFn(x, float64(tau), v)
	}
	t0 := 0
	for tau := 2; tau <= maxPeriod; tau++ {
		if d[tau] < periodTol && d[tau] <= d[tau-1] && d[tau] <= d[tau+1] {
			t0 = tau
			break
		}
	}
	if t0 == 0 {
		return est
	}
	p := float64(t0) + parabolic(d[t0-1], d[t0], d[t0+1])
	// A fractional period (7.5 samples) first shows at an integer multiple (15): try the
	// divisors of the candidate at fractional lags.
	for q := 4; q >= 2; q-- {
		if c := p / float64(q); c >= 2 && diffFn(x, c, v) < periodTol {
			p = c
			break
		}
	}
	// Refine on the largest multiple that leaves at least a period of overlap.
	k := min(int(float64(n)/p)-1, periodMaxMultiples)
	if k < periodMinMultiples {
		return est
	}
	c := int(math.Round(float64(k) * p))
	best, bd := c, inf
	for t := max(c-2, 1); t <= c+2 && t < n; t++ {
		if dv := diffFn(x, float64(t), v); dv < bd {
			best, bd = t, dv
		}
	}
	if best > 1 && best+1 < n {
		best := float64(best) + parabolic(diffFn(x, float64(best-1), v), bd, diffFn(x, float64(best+1), v))
		p = best / float64(k)
	}
	est.Period = p
	est.Errors = make([]float64, k)
	worst := 0.0
	for j := 1; j <= k; j++ {
		est.Errors[j-1] = diffFn(x, float64(j)*p, v)
		worst = max(worst, est.Errors[j-1])
	}
	est.Explained = 1 - worst
	est.Periodic = worst <= periodTol
	return est
}

// diffFn returns mean (x(t+s) - x(t))² / (2v) for a possibly fractional shift s, the
// shifted series linearly interpolated.
func diffFn(x []float64, s, v float64) float64 {
	i := int(s)
	f := s - float64(i)
	n := len(x) - i - 1
	if f == 0 {
		n = len(x) - i
	}
	if n <= 0 {
		return inf
	}
	var sum float64
	if f == 0 {
		for t := 0; t < n; t++ {
			e := x[t+i] - x[t]
			sum += e * e
		}
	} else {
		for t := 0; t < n; t++ {
			e := (1-f)*x[t+i] + f*x[t+i+1] - x[t]
			sum += e * e
		}
	}
	return sum / float64(n) / (2 * v)
}

// parabolic returns the offset in (-1, 1) of the vertex of the parabola through
// (-1, a), (0, b), (1, c), or 0 if b is not a strict local minimum.
func parabolic(a, b, c float64) float64 {
	den := a - 2*b + c
	if den <= 0 {
		return 0
	}
	off := 0.5 * (a - c) / den
	return max(min(off, 0.5), -0.5)
}

// SettlingTest is the outcome of the fixed-point test.
type SettlingTest struct {
	// BlockSD is the standard deviation of each of the consecutive blocks of the series.
	BlockSD []float64 `json:"block_sd"`
	// PValue is the one-sided Mann–Kendall p-value of a decreasing trend in BlockSD.
	PValue float64 `json:"p_value"`
	// Decay is BlockSD[last] / BlockSD[0].
	Decay   float64 `json:"decay"`
	Settled bool    `json:"settled"`
}

// Settling parameters: the series is split into settleBlocks blocks; it settles when
// their spread decreases (Mann–Kendall, one-sided, p ≤ alpha) and the last block's spread
// is at most settleDecay of the first's (the oscillation has lost 90% of its amplitude).
const (
	settleBlocks = 10
	settleDecay  = 0.1
)

// TestSettling tests whether x converges to a fixed point: the local spread (standard
// deviation in consecutive blocks) shrinks monotonically (Mann–Kendall trend test, Mann
// 1945, Kendall 1975) and by at least a factor 10. A stationary process (noise, random
// walk increments, chaos, a limit cycle) has no trend in its local spread.
func TestSettling(x []float64, alpha float64) SettlingTest {
	b := settleBlocks
	n := len(x)
	st := SettlingTest{PValue: 1}
	if n < 4*b {
		return st
	}
	st.BlockSD = make([]float64, b)
	for k := 0; k < b; k++ {
		_, v := meanVar(x[k*n/b : (k+1)*n/b])
		st.BlockSD[k] = math.Sqrt(v)
	}
	var s float64
	for i := 0; i < b; i++ {
		for j := i + 1; j < b; j++ {
			switch {
			case st.BlockSD[j] > st.BlockSD[i]:
				s++
			case st.BlockSD[j] < st.BlockSD[i]:
				s--
			}
		}
	}
	fb := float64(b)
	sd := math.Sqrt(fb * (fb - 1) * (2*fb + 5) / 18)
	z := (s + 1) / sd // continuity correction towards no trend
	st.PValue = 0.5 * math.Erfc(-z/math.Sqrt2)
	if st.BlockSD[0] > 0 {
		st.Decay = st.BlockSD[b-1] / st.BlockSD[0]
	}
	st.Settled = st.PValue <= alpha && st.BlockSD[0] > 0 && st.Decay <= settleDecay
	return st
}
