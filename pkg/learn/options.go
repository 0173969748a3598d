package learn

import (
	"fmt"
	"time"
)

// Option configures a Learner.
type Option func(*config) error

type config struct {
	clock        func() time.Time
	depth        int
	alpha        float64
	maxBins      int
	maxSeries    int
	maxBaselines int
	maxStreams   int
	miner        MinerConfig
	fbRate       float64 // labels per second per tenant
	fbBurst      float64
	targets      []Target
	bounds       []Bound
	rules        []Rule
	watchN       uint64
	watchMargin  float64
	meta         MetaConfig
	patterns     PatternPolicy
	history      int
}

func defaultConfig() config {
	return config{
		clock:        time.Now,
		depth:        3,
		alpha:        DefaultAlpha,
		maxBins:      DefaultMaxBins,
		maxSeries:    256,
		maxBaselines: 256,
		maxStreams:   1 << 16,
		miner:        MinerConfig{Counters: 512},
		fbRate:       10,
		fbBurst:      100,
		watchN:       50,
		meta:         MetaConfig{Rate: 0.5, MinGain: 1e-6, MaxGain: 1e6, MinEvidence: 20, MaxEvidence: 10000, MinRate: 0.01, MaxRate: 2},
		patterns:     PatternPolicy{Prefix: "compare/patterns", Every: 256, MaxPerRun: 4, Remember: 4096},
		history:      256,
	}
}

// WithClock sets the time source (default time.Now); tests inject a fake clock.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return &InputError{Field: "WithClock", Reason: "nil clock"}
		}
		c.clock = now
		return nil
	}
}

// WithDepth sets how many levels learn (2..5, default 3): 2 runs the policies with fixed step
// sizes; 3 adds the meta-policy that adapts them; 4 and 5 each adapt the level below with the
// same sign-based rule.
func WithDepth(d int) Option {
	return func(c *config) error {
		if d < 2 || d > MaxDepth {
			return &InputError{Field: "WithDepth", Reason: fmt.Sprintf("%d not in 2..%d", d, MaxDepth)}
		}
		c.depth = d
		return nil
	}
}

// MaxDepth is the deepest level a Learner runs.
const MaxDepth = 5

// WithSketch sets the baselines' relative accuracy and bucket limit (default 1%, 2048).
func WithSketch(alpha float64, maxBins int) Option {
	return func(c *config) error {
		if !(alpha > 0 && alpha < 1) || maxBins < 16 {
			return &InputError{Field: "WithSketch", Reason: "need 0 < alpha < 1 and maxBins >= 16"}
		}
		c.alpha, c.maxBins = alpha, maxBins
		return nil
	}
}

// WithLimits bounds memory: tenant/model baselines (default 256), series (signals plus verdict
// scores) per baseline (default 256), and remembered streams for feedback (default 65536).
func WithLimits(baselines, seriesPerBaseline, streams int) Option {
	return func(c *config) error {
		if baselines < 1 || seriesPerBaseline < 1 || streams < 1 {
			return &InputError{Field: "WithLimits", Reason: "limits must be positive"}
		}
		c.maxBaselines, c.maxSeries, c.maxStreams = baselines, seriesPerBaseline, streams
		return nil
	}
}

// WithMiner sets the pattern miner's parameters for every baseline (default: MinerConfig with
// 512 counters).
func WithMiner(m MinerConfig) Option {
	return func(c *config) error {
		if err := m.fill(); err != nil {
			return err
		}
		c.miner = m
		return nil
	}
}

// WithFeedbackRate bounds each tenant's influence: at most perSecond labels per second count,
// with bursts up to burst (default 10/s, burst 100); the excess is refused with ErrFlood.
func WithFeedbackRate(perSecond float64, burst int) Option {
	return func(c *config) error {
		if !(perSecond > 0) || burst < 1 {
			return &InputError{Field: "WithFeedbackRate", Reason: "need perSecond > 0 and burst >= 1"}
		}
		c.fbRate, c.fbBurst = perSecond, float64(burst)
		return nil
	}
}

// WithTargets adds level-2 false-positive-rate targets.
func WithTargets(ts ...Target) Option {
	return func(c *config) error {
		for i := range ts {
			if err := ts[i].validate(); err != nil {
				return err
			}
		}
		c.targets = append(c.targets, ts...)
		return nil
	}
}

// WithBounds adds per-parameter bounds and step limits.
func WithBounds(bs ...Bound) Option {
	return func(c *config) error {
		for i := range bs {
			if err := bs[i].validate(); err != nil {
				return err
			}
		}
		c.bounds = append(c.bounds, bs...)
		return nil
	}
}

// WithRules adds temporal-logic safety rules.
func WithRules(rs ...Rule) Option {
	return func(c *config) error {
		c.rules = append(c.rules, rs...)
		return nil
	}
}

// WithWatch sets post-application watching: after n outcomes (default 50) reported with
// Outcome, a change whose mean utility is lower than before, with the 95% upper bound of the
// difference below -margin (default 0), is rolled back.
func WithWatch(n int, margin float64) Option {
	return func(c *config) error {
		if n < 2 || !(margin >= 0) {
			return &InputError{Field: "WithWatch", Reason: "need n >= 2 and margin >= 0"}
		}
		c.watchN, c.watchMargin = uint64(n), margin
		return nil
	}
}

// WithMeta sets the meta-policy's parameters.
func WithMeta(m MetaConfig) Option {
	return func(c *config) error {
		if err := m.validate(); err != nil {
			return err
		}
		c.meta = m
		return nil
	}
}

// WithPatternPolicy sets how mined patterns are proposed to compare's reference library.
func WithPatternPolicy(p PatternPolicy) Option {
	return func(c *config) error {
		if p.Prefix == "" || p.Every < 1 || p.MaxPerRun < 0 || p.Remember < 1 {
			return &InputError{Field: "WithPatternPolicy", Reason: "need Prefix, Every >= 1, MaxPerRun >= 0, Remember >= 1"}
		}
		c.patterns = p
		return nil
	}
}

// WithHistory sets how many events per key the safety rules see (default 256). Rules about
// longer histories need a larger value.
func WithHistory(n int) Option {
	return func(c *config) error {
		if n < 2 {
			return &InputError{Field: "WithHistory", Reason: "need n >= 2"}
		}
		c.history = n
		return nil
	}
}
