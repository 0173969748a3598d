package dynamics

import (
	"fmt"
	"math"
)

// Attractor is the kind of long-term behaviour a series shows.
type Attractor int

const (
	// Unknown: the evidence does not support any class (too short, conflicting tests).
	Unknown Attractor = iota
	// FixedPoint: the series settles; its oscillations die out.
	FixedPoint
	// LimitCycle: the series repeats with a period.
	LimitCycle
	// Strange: deterministic, aperiodic, with sensitive dependence (positive exponent):
	// chaos.
	Strange
	// Stochastic: no structure beyond that of a linear Gaussian process (the surrogate
	// test does not reject it).
	Stochastic
)

var attractorNames = [...]string{"unknown", "fixed_point", "limit_cycle", "strange", "stochastic"}

func (a Attractor) String() string {
	if a < 0 || int(a) >= len(attractorNames) {
		return fmt.Sprintf("Attractor(%d)", int(a))
	}
	return attractorNames[a]
}

// MarshalText encodes the attractor by its name, e.g. "limit_cycle".
func (a Attractor) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (a *Attractor) UnmarshalText(b []byte) error {
	for i, n := range attractorNames {
		if n == string(b) {
			*a = Attractor(i)
			return nil
		}
	}
	return &ParamError{Name: "attractor", Value: string(b), Why: "unknown name"}
}

// Result is the analysis of one series.
type Result struct {
	N  int     `json:"n"`
	Dt float64 `json:"dt"`
	// MeanPeriod is the power-weighted mean period (samples); Theiler the temporal
	// exclusion window used everywhere (samples).
	MeanPeriod float64           `json:"mean_period"`
	Theiler    int               `json:"theiler"`
	Delay      DelayEstimate     `json:"delay"`
	Dimension  DimensionEstimate `json:"dimension"`
	// Lyapunov, Correlation and Surrogate are nil when they could not be computed (the
	// reason is in Warnings) or, for Surrogate, when the class was decided before it was
	// needed.
	Lyapunov    *LyapunovEstimate     `json:"lyapunov,omitempty"`
	Correlation *CorrelationDimension `json:"correlation,omitempty"`
	Surrogate   *SurrogateTest        `json:"surrogate,omitempty"`
	Settling    SettlingTest          `json:"settling"`
	UnitRoot    *UnitRootTest         `json:"unit_root,omitempty"`
	Periodicity PeriodEstimate        `json:"periodicity"`

	Attractor Attractor `json:"attractor"`
	// Period is the period in samples when Attractor is LimitCycle, else 0.
	Period float64 `json:"period,omitempty"`
	// Confidence is in [0, 1]; its meaning depends on the class (see Analyze).
	Confidence float64  `json:"confidence"`
	Reason     string   `json:"reason"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Analyze reconstructs the phase space of x and classifies its attractor.
//
// Steps: the mean period sets the Theiler window; the delay comes from the mutual
// information (SelectDelay) and the dimension from false nearest neighbours or Cao's
// method (SelectDimension), unless fixed by options; then the largest Lyapunov exponent
// (Rosenstein) and the correlation dimension (GrassbergerProcaccia) are estimated. The
// class is decided in this order:
//
//   - FixedPoint if the local spread decays (TestSettling); Confidence = 1 - p of the
//     Mann–Kendall trend test.
//   - LimitCycle if the series recurs at every multiple of a period (DetectPeriod);
//     Confidence = the fraction of variance the recurrence reproduces (Explained). The
//     exponent is then fitted over whole periods and is near 0.
//   - Stochastic if the series has a unit root (TestUnitRoot: it wanders like a random
//     walk; no bounded attractor), Confidence = the Dickey–Fuller p-value.
//   - otherwise the surrogate test (TestSurrogates) decides. If it does not reject the
//     linear stochastic null: Stochastic, Confidence = its p-value (how typical the data
//     are among surrogates; it is not a probability of being stochastic). If it rejects
//     and the exponent is positive on a straight fit and the embedding is low-dimensional
//     (false neighbours vanish or the correlation dimension converges): Strange,
//     Confidence = (1 - p) · R² of the exponent's fit. Otherwise Unknown with
//     Confidence = 1 - p (nonlinear structure, but not low-dimensional chaos).
//
// Errors: ErrTooShort (fewer than MinLength values), ErrNonFinite, ErrConstant, ErrParam.
func Analyze(x []float64, opts ...Option) (*Result, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return analyze(x, cfg)
}

func analyze(x []float64, cfg config) (*Result, error) {
	if err := checkSeries(x, MinLength); err != nil {
		return nil, err
	}
	n := len(x)
	r := &Result{N: n, Dt: cfg.dt}
	mp := MeanPeriod(x)
	r.MeanPeriod = mp
	w := cfg.theiler
	if w < 0 {
		w = int(math.Ceil(min(mp, float64(n)/10)))
	}
	r.Theiler = w
	warn := func(format string, a ...any) { r.Warnings = append(r.Warnings, fmt.Sprintf(format, a...)) }

	// Delay.
	if cfg.delay > 0 {
		r.Delay = DelayEstimate{Delay: cfg.delay, Method: "given"}
	} else {
		d, err := SelectDelay(x, min(cfg.maxDelay, n/10), cfg.seed)
		if err != nil {
			return nil, err
		}
		r.Delay = d
	}
	tau := r.Delay.Delay
	// Dimension.
	maxDim := cfg.maxDim
	for maxDim > 1 && ((maxDim+1)*tau+2*w+16 > n || (maxDim-1)*tau >= n/2) {
		maxDim--
	}
	if cfg.dim > 0 {
		r.Dimension = DimensionEstimate{Dim: cfg.dim, Method: "given"}
	} else {
		d, err := SelectDimension(x, tau, maxDim, w)
		if err != nil {
			warn("dimension: %v", err)
			d = DimensionEstimate{Dim: maxDim, Method: "max_dimension"}
		}
		r.Dimension = d
	}
	m := r.Dimension.Dim
	if (m-1)*tau >= n/2 {
		return nil, &SeriesError{Index: -1, N: n, Need: 2 * (m - 1) * tau, Err: ErrTooShort}
	}

	// Tests that decide fixed points and cycles first.
	r.Settling = TestSettling(x, cfg.alpha)
	maxP := cfg.maxPeriod
	if maxP == 0 {
		// O(n·maxP): bounded so that long series stay affordable.
		maxP = min(n/4, 2000)
	}
	r.Periodicity = DetectPeriod(x, maxP)

	// Largest exponent.
	emb, _ := NewEmbedding(x, m, tau)
	rc := RosensteinConfig{Theiler: w, Dt: cfg.dt, MeanPeriod: mp}
	if w == 0 {
		rc.Theiler = -1 // explicitly none
	}
	if r.Periodicity.Periodic && !r.Settling.Settled {
		rc.Period = r.Periodicity.Period
	}
	if l, err := Rosenstein(emb, rc); err != nil {
		warn("lyapunov: %v", err)
	} else {
		r.Lyapunov = &l
	}
	// Correlation dimension, over the chosen dimension and the two above it.
	dims := []int{m, m + 1, m + 2}
	if m == 1 {
		dims = []int{1, 2, 3}
	}
	if c, err := GrassbergerProcaccia(x, GPConfig{Dims: dims, Delay: tau, Theiler: w, Refs: cfg.gpRefs}); err != nil {
		warn("correlation dimension: %v", err)
	} else {
		r.Correlation = &c
	}

	switch {
	case r.Settling.Settled:
		r.Attractor = FixedPoint
		r.Confidence = 1 - r.Settling.PValue
		r.Reason = fmt.Sprintf("local spread decays by a factor %.3g (Mann-Kendall p = %.2g)", r.Settling.Decay, r.Settling.PValue)
	case r.Periodicity.Periodic:
		r.Attractor = LimitCycle
		r.Period = r.Periodicity.Period
		r.Confidence = r.Periodicity.Explained
		r.Reason = fmt.Sprintf("recurs every %.4g samples over %d periods, reproducing %.1f%% of the variance",
			r.Period, len(r.Periodicity.Errors), 100*r.Periodicity.Explained)
	default:
		ur := TestUnitRoot(x, cfg.alpha)
		r.UnitRoot = &ur
		if ur.UnitRoot {
			r.Attractor = Stochastic
			r.Confidence = ur.PValue
			r.Reason = fmt.Sprintf("unit root not rejected (augmented Dickey-Fuller p = %.2g): the series wanders instead of returning to a bounded set", ur.PValue)
			break
		}
		h := max(1, tau)
		// The statistic needs enough dimensions to unfold the dynamics locally, not the
		// full embedding: beyond 4 the neighbour search costs more than it discriminates.
		st, err := TestSurrogates(x, min(m, 4), tau, h, w, cfg.surrogates, cfg.alpha, cfg.seed)
		if err != nil {
			warn("surrogate test: %v", err)
			r.Attractor = Unknown
			r.Reason = "surrogate test impossible"
			break
		}
		r.Surrogate = &st
		lowDim := r.Dimension.Method == "fnn" || r.Dimension.Method == "cao" || (r.Correlation != nil && r.Correlation.Converged)
		switch {
		case !st.Rejected:
			r.Attractor = Stochastic
			r.Confidence = st.PValue
			r.Reason = fmt.Sprintf("no more predictable than linear surrogates (p = %.2g)", st.PValue)
		case r.Lyapunov != nil && r.Lyapunov.Linear && r.Lyapunov.PerSample > 0 && lowDim:
			r.Attractor = Strange
			r.Confidence = (1 - st.PValue) * max(r.Lyapunov.Fit.R2, 0)
			r.Reason = fmt.Sprintf("more predictable than linear surrogates (p = %.2g), positive exponent, low-dimensional", st.PValue)
		default:
			r.Attractor = Unknown
			r.Confidence = 1 - st.PValue
			r.Reason = fmt.Sprintf("nonlinear structure (p = %.2g) without a positive exponent on a low-dimensional embedding", st.PValue)
		}
	}
	if !cfg.curves {
		r.dropCurves()
	}
	return r, nil
}

func (r *Result) dropCurves() {
	r.Delay.AMI = nil
	if r.Lyapunov != nil {
		r.Lyapunov.Divergence, r.Lyapunov.Pairs = nil, nil
	}
	if r.Correlation != nil {
		r.Correlation.Radii, r.Correlation.LogC = nil, nil
	}
}
