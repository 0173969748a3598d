package attractor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/midstream/midstream/pkg/dynamics"
)

// Series names: the numeric signals built from the chunks.
const (
	// SeriesLogprob is the log-probability of every token (one point per token).
	SeriesLogprob = "logprob"
	// SeriesEntropy is the entropy, in nats, of the renormalised distribution over a token
	// and its top alternatives (one point per token that carries alternatives).
	SeriesEntropy = "entropy"
	// SeriesGap is the time between consecutive chunks in milliseconds, from their ts (one
	// point per chunk after the first).
	SeriesGap = "gap"
	// SeriesLength is the length of a chunk's text in characters (one point per chunk with
	// text).
	SeriesLength = "length"
	// SeriesTokens is the number of tokens in a chunk (one point per chunk with tokens).
	SeriesTokens = "tokens"
)

// AllSeries lists the series the service can build, in evidence order.
var AllSeries = []string{SeriesLogprob, SeriesEntropy, SeriesGap, SeriesLength, SeriesTokens}

// Loop actions.
const (
	ActionStop = "stop"
	ActionFlag = "flag"
	ActionNone = ""
)

// KeyConfig is the name of the service's key in ms_config (full key "attractor.config").
const KeyConfig = "config"

// Limits on configuration values: they bound memory and cost per open response.
const (
	MaxWindow    = 4096
	MaxPeriodCap = 512
)

// Config is the JSON document stored under attractor.config. Fields left out keep their
// defaults (see DefaultConfig).
type Config struct {
	// Series are the series built from the chunks.
	Series []string `json:"series"`
	// Classify are the series fully analysed (exponent, dimension, class) every Hop points
	// and reported in "classification" verdicts; a subset of Series. The full analysis is
	// the expensive part (milliseconds per window), so only the signals that say something
	// about the model are classified by default.
	Classify []string `json:"classify"`
	// LoopSeries are the series whose limit cycle makes a "loop" verdict (a subset of
	// Series). The loop test costs O(MaxPeriod) per point.
	LoopSeries []string `json:"loop_series"`
	// Window is the number of latest points of each series analysed (the memory bound);
	// at least dynamics.MinLength.
	Window int `json:"window"`
	// Hop is the number of new points between two full analyses of a window.
	Hop int `json:"hop"`
	// Surrogates and Alpha are the number of IAAFT surrogates and the significance level of
	// the test that separates stochastic from deterministic series (Surrogates+1 ≥ 1/Alpha).
	Surrogates int     `json:"surrogates"`
	Alpha      float64 `json:"alpha"`
	// MaxPeriod bounds the loop periods searched, in points.
	MaxPeriod int `json:"max_period"`
	// MinPoints is the fewest points of a series before it is classified at all (below it
	// the class is "unknown"); at least dynamics.MinLength.
	MinPoints int `json:"min_points"`
	// MinLyapunovPoints is the fewest points in the window before an exponent is reported;
	// below it the verdict's score is left out.
	MinLyapunovPoints int `json:"min_lyapunov_points"`
	// MinClassConfidence: a class whose confidence is lower is reported as "unknown".
	MinClassConfidence float64 `json:"min_class_confidence"`
	// MinLoopConfidence: a loop whose confidence is lower is not reported.
	MinLoopConfidence float64 `json:"min_loop_confidence"`
	// Debounce is the number of points a new class must hold before it is reported.
	Debounce int `json:"debounce"`
	// LoopAction is the action sent when a loop is reported: "stop", "flag" or "" (none).
	LoopAction string `json:"loop_action"`
}

// DefaultConfig returns the defaults documented in docs/services/attractor.md.
func DefaultConfig() Config {
	return Config{
		Series:             []string{SeriesLogprob, SeriesEntropy, SeriesLength, SeriesTokens},
		Classify:           []string{SeriesLogprob, SeriesEntropy},
		LoopSeries:         []string{SeriesLogprob, SeriesEntropy, SeriesLength, SeriesTokens},
		Window:             256,
		Hop:                128,
		Surrogates:         19,
		Alpha:              0.05,
		MaxPeriod:          32,
		MinPoints:          128,
		MinLyapunovPoints:  256,
		MinClassConfidence: 0,
		MinLoopConfidence:  0.9,
		Debounce:           128,
		LoopAction:         ActionStop,
	}
}

// ParseConfig decodes an attractor.config document over the defaults and validates it.
// Unknown fields and trailing data are errors; all errors match ErrConfig.
func ParseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	if len(data) > 64<<10 {
		return Config{}, &ConfigError{Key: Name + "." + KeyConfig, Why: fmt.Sprintf("%d bytes, limit 65536", len(data))}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, &ConfigError{Key: Name + "." + KeyConfig, Why: err.Error()}
	}
	if dec.More() {
		return Config{}, &ConfigError{Key: Name + "." + KeyConfig, Why: "trailing data after the JSON object"}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks every field; the error is a *ConfigError naming the first bad one.
func (c *Config) Validate() error {
	bad := func(field, why string) error {
		return &ConfigError{Key: Name + "." + KeyConfig, Field: field, Why: why}
	}
	if len(c.Series) == 0 {
		return bad("series", "empty")
	}
	for _, s := range c.Series {
		if !slices.Contains(AllSeries, s) {
			return bad("series", fmt.Sprintf("unknown series %q (known: %v)", s, AllSeries))
		}
	}
	for _, s := range c.Classify {
		if !slices.Contains(c.Series, s) {
			return bad("classify", fmt.Sprintf("%q is not among the built series", s))
		}
	}
	for _, s := range c.LoopSeries {
		if !slices.Contains(c.Series, s) {
			return bad("loop_series", fmt.Sprintf("%q is not among the built series", s))
		}
	}
	switch {
	case c.Window < dynamics.MinLength || c.Window > MaxWindow:
		return bad("window", fmt.Sprintf("%d, want %d..%d", c.Window, dynamics.MinLength, MaxWindow))
	case c.Hop < 1 || c.Hop > c.Window:
		return bad("hop", fmt.Sprintf("%d, want 1..window (%d)", c.Hop, c.Window))
	case !(c.Alpha > 0 && c.Alpha < 1) || c.Surrogates < 1 || c.Surrogates > 199 || float64(c.Surrogates+1)*c.Alpha < 1:
		return bad("surrogates", fmt.Sprintf("%d surrogates at alpha %g: want 0 < alpha < 1 and 1/alpha - 1 ≤ surrogates ≤ 199", c.Surrogates, c.Alpha))
	case c.MaxPeriod < 2 || c.MaxPeriod > MaxPeriodCap || c.MaxPeriod > c.Window/5:
		return bad("max_period", fmt.Sprintf("%d, want 2..min(%d, window/5 = %d)", c.MaxPeriod, MaxPeriodCap, c.Window/5))
	case c.MinPoints < dynamics.MinLength || c.MinPoints > c.Window:
		return bad("min_points", fmt.Sprintf("%d, want %d..window (%d)", c.MinPoints, dynamics.MinLength, c.Window))
	case c.MinLyapunovPoints < c.MinPoints:
		return bad("min_lyapunov_points", fmt.Sprintf("%d, want at least min_points (%d)", c.MinLyapunovPoints, c.MinPoints))
	case !(c.MinClassConfidence >= 0 && c.MinClassConfidence <= 1):
		return bad("min_class_confidence", "want 0..1")
	case !(c.MinLoopConfidence >= 0 && c.MinLoopConfidence <= 1):
		return bad("min_loop_confidence", "want 0..1")
	case c.Debounce < 0 || c.Debounce > 1<<20:
		return bad("debounce", fmt.Sprintf("%d, want 0..%d", c.Debounce, 1<<20))
	}
	switch c.LoopAction {
	case ActionStop, ActionFlag, ActionNone:
	default:
		return bad("loop_action", fmt.Sprintf("%q, want \"stop\", \"flag\" or \"\"", c.LoopAction))
	}
	return nil
}
