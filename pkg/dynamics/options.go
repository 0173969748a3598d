package dynamics

import "math"

// config holds the parameters of Analyze and of the incremental analyser; newConfig
// fills defaults and validates in one place.
type config struct {
	dt         float64
	dim, delay int // 0: select automatically
	theiler    int // -1: automatic (the mean period)
	maxDim     int
	maxDelay   int
	maxPeriod  int
	surrogates int
	alpha      float64
	seed       uint64
	gpRefs     int
	curves     bool
	hop        int
}

// Option configures Analyze and NewIncremental.
type Option func(*config)

// WithDt sets the sampling interval in time units (default 1: exponents per sample).
func WithDt(dt float64) Option { return func(c *config) { c.dt = dt } }

// WithDim fixes the embedding dimension instead of selecting it.
func WithDim(m int) Option { return func(c *config) { c.dim = m } }

// WithDelay fixes the embedding delay (samples) instead of selecting it.
func WithDelay(tau int) Option { return func(c *config) { c.delay = tau } }

// WithTheiler fixes the Theiler window (samples) instead of using the mean period.
func WithTheiler(w int) Option { return func(c *config) { c.theiler = w } }

// WithMaxDim bounds the embedding dimensions tried (default 5).
func WithMaxDim(m int) Option { return func(c *config) { c.maxDim = m } }

// WithMaxDelay bounds the delays searched (default 100, and at most n/4).
func WithMaxDelay(tau int) Option { return func(c *config) { c.maxDelay = tau } }

// WithMaxPeriod bounds the periods searched (default n/4, at most 2000).
func WithMaxPeriod(p int) Option { return func(c *config) { c.maxPeriod = p } }

// WithSurrogates sets the number of surrogates (default 19) and the significance level
// (default 0.05) of the surrogate test. k must be at least 1/alpha - 1.
func WithSurrogates(k int, alpha float64) Option {
	return func(c *config) { c.surrogates, c.alpha = k, alpha }
}

// WithSeed fixes the random seed of shuffles and surrogates (default 1); results are
// deterministic for a given seed.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithCorrelationRefs bounds the reference points of the correlation sum (default 500).
func WithCorrelationRefs(r int) Option { return func(c *config) { c.gpRefs = r } }

// WithCurves keeps the curves (mutual information, divergence, correlation sums, FNN) in
// the result, for plots; they are dropped by default to keep results small.
func WithCurves() Option { return func(c *config) { c.curves = true } }

// WithHop sets how many new points the incremental analyser accepts between two full
// analyses of its window (default: the window length).
func WithHop(h int) Option { return func(c *config) { c.hop = h } }

// MinLength is the shortest series Analyze accepts.
const MinLength = 100

func newConfig(opts []Option) (config, error) {
	c := config{dt: 1, theiler: -1, maxDim: 5, maxDelay: 100, surrogates: 19, alpha: 0.05, seed: 1, gpRefs: 500}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case !(c.dt > 0) || math.IsInf(c.dt, 0):
		return c, &ParamError{Name: "dt", Value: c.dt, Why: "must be positive and finite"}
	case c.dim < 0 || c.dim > 20:
		return c, &ParamError{Name: "dimension", Value: c.dim, Why: "must be between 1 and 20"}
	case c.delay < 0:
		return c, &ParamError{Name: "delay", Value: c.delay, Why: "must be at least 1"}
	case c.theiler < -1:
		return c, &ParamError{Name: "theiler", Value: c.theiler, Why: "must not be negative"}
	case c.maxDim < 1 || c.maxDim > 20:
		return c, &ParamError{Name: "max dimension", Value: c.maxDim, Why: "must be between 1 and 20"}
	case c.maxDelay < 1:
		return c, &ParamError{Name: "max delay", Value: c.maxDelay, Why: "must be at least 1"}
	case !(c.alpha > 0 && c.alpha < 1) || c.surrogates < 1 || float64(c.surrogates+1)*c.alpha < 1:
		return c, &ParamError{Name: "surrogates", Value: c.surrogates, Why: "need 0 < alpha < 1 and at least 1/alpha - 1 surrogates"}
	case c.gpRefs < 1:
		return c, &ParamError{Name: "correlation refs", Value: c.gpRefs, Why: "must be at least 1"}
	case c.hop < 0 || c.maxPeriod < 0:
		return c, &ParamError{Name: "hop/max period", Value: c.hop, Why: "must not be negative"}
	}
	return c, nil
}
