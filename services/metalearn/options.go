package metalearn

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/learn"
)

// Name is the service's name: its micro service, durable consumer prefix and dead-letter source.
const Name = "metalearn"

// Mode says whether the service applies proposals itself.
type Mode string

// Modes.
const (
	// ModeAuto applies a proposal that passes the safety constraints and, for an analyser
	// parameter with a target, shadow evaluation by the margin.
	ModeAuto Mode = "auto"
	// ModeManual applies nothing until an operator approves it.
	ModeManual Mode = "manual"
)

// TargetSpec is one threshold metalearn tunes, as written in the ms_config key
// "metalearn.targets" (a JSON array) or passed with WithTargets.
type TargetSpec struct {
	// Key is the ms_config key of the threshold, "<analyser>.<name>".
	Key      string `json:"key"`
	Analyser string `json:"analyser"`
	Rule     string `json:"rule"`
	Tenant   string `json:"tenant,omitempty"`
	Model    string `json:"model,omitempty"`
	// FPRate is the false-positive rate FP/(TP+FP) to approach.
	FPRate float64 `json:"fp_rate"`
	// Direction is +1 when the rule flags at score >= threshold (raising it lowers the FP rate),
	// -1 when it flags at score <= threshold.
	Direction float64 `json:"direction"`
	// Default is the threshold the analyser uses while the key is absent from ms_config.
	Default float64 `json:"default"`
	// Gain and Evidence start level 2's step size and labels per batch (defaults 1, 30).
	Gain     float64 `json:"gain,omitempty"`
	Evidence int     `json:"evidence,omitempty"`
	// Min, Max bound the threshold; MaxStep bounds one change (0: none); Floor is the
	// temporal-logic floor rule's value (default Min).
	Min     float64  `json:"min"`
	Max     float64  `json:"max"`
	MaxStep float64  `json:"max_step,omitempty"`
	Floor   *float64 `json:"floor,omitempty"`
}

func (t *TargetSpec) validate() (string, error) {
	bad := func(field, format string, a ...any) (string, error) {
		return "", &ConfigError{Field: "targets[" + t.Key + "]." + field, Reason: fmt.Sprintf(format, a...)}
	}
	lk, err := KVToLearner(t.Key)
	if err != nil || strings.HasPrefix(t.Key, KVPrefix) {
		return bad("key", "must be <analyser>.<name>")
	}
	if t.Analyser == "" || t.Rule == "" {
		return bad("analyser", "analyser and rule are required")
	}
	fin := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if !fin(t.FPRate) || t.FPRate <= 0 || t.FPRate >= 1 {
		return bad("fp_rate", "must be in (0, 1)")
	}
	if t.Direction != 1 && t.Direction != -1 {
		return bad("direction", "must be 1 or -1")
	}
	if !fin(t.Min) || !fin(t.Max) || t.Min >= t.Max {
		return bad("min", "need finite min < max")
	}
	if !fin(t.Default) || t.Default < t.Min || t.Default > t.Max {
		return bad("default", "must lie in [min, max]")
	}
	if t.Gain < 0 || !fin(t.Gain) || t.MaxStep < 0 || !fin(t.MaxStep) || t.Evidence < 0 {
		return bad("gain", "gain, max_step and evidence must not be negative")
	}
	if t.Floor != nil && (!fin(*t.Floor) || *t.Floor > t.Max) {
		return bad("floor", "must be finite and at most max")
	}
	return lk, nil
}

// ParseTargets decodes the "metalearn.targets" value: a JSON array of TargetSpec.
func ParseTargets(data []byte) ([]TargetSpec, error) {
	if len(data) > 1<<20 {
		return nil, &ConfigError{Field: "targets", Reason: fmt.Sprintf("%d bytes, limit %d", len(data), 1<<20)}
	}
	var ts []TargetSpec
	if err := json.Unmarshal(data, &ts); err != nil {
		return nil, &ConfigError{Field: "targets", Reason: err.Error()}
	}
	if len(ts) > 256 {
		return nil, &ConfigError{Field: "targets", Reason: fmt.Sprintf("%d targets, limit 256", len(ts))}
	}
	seen := map[string]bool{}
	for i := range ts {
		if _, err := ts[i].validate(); err != nil {
			return nil, err
		}
		if seen[ts[i].Key] {
			return nil, &ConfigError{Field: "targets", Reason: "duplicate key " + ts[i].Key}
		}
		seen[ts[i].Key] = true
	}
	return ts, nil
}

// Option configures a Service.
type Option func(*options) error

type options struct {
	mode          Mode
	targets       []TargetSpec
	margin        float64
	maxChanges    int
	changeWindow  time.Duration
	watchN        int
	watchMargin   float64
	depth         int
	fbRate        float64
	fbBurst       int
	settle        time.Duration
	idle          time.Duration
	maxOpen       int
	maxTokens     int
	remember      int
	records       int
	minShadow     int
	clock         func() time.Time
	log           *slog.Logger
	targetsFromKV bool
	auditBucket   string
	sweep         time.Duration
	patternEvery  int
	noDefault     bool // tests: start without the harness target
}

func defaultOptions() options {
	return options{
		mode: ModeAuto, margin: 0, maxChanges: 6, changeWindow: time.Hour, watchN: 50, depth: 3,
		fbRate: 10, fbBurst: 100, settle: 10 * time.Second, idle: time.Minute, maxOpen: 2048,
		maxTokens: 512, remember: 65536, records: 1000, minShadow: 10, clock: time.Now,
		log: slog.Default(), targetsFromKV: true, auditBucket: AuditBucket, sweep: 500 * time.Millisecond,
		patternEvery: 256,
	}
}

// WithMode sets auto (default) or manual mode.
func WithMode(m Mode) Option {
	return func(o *options) error {
		if m != ModeAuto && m != ModeManual {
			return &ConfigError{Field: "mode", Reason: fmt.Sprintf("%q is neither auto nor manual", m)}
		}
		o.mode = m
		return nil
	}
}

// WithTargets adds thresholds to tune, in addition to those in "metalearn.targets".
func WithTargets(ts ...TargetSpec) Option {
	return func(o *options) error {
		for i := range ts {
			if _, err := ts[i].validate(); err != nil {
				return err
			}
		}
		o.targets = append(o.targets, ts...)
		return nil
	}
}

// WithoutKVTargets ignores the "metalearn.targets" key (tests, and deployments that pass
// targets in code).
func WithoutKVTargets() Option {
	return func(o *options) error { o.targetsFromKV = false; return nil }
}

// WithShadow sets the shadow-evaluation margin (mean utility per labelled response the 95%
// lower bound of the improvement must exceed; default 0) and the fewest labelled records of a
// rule a shadow evaluation runs on (default 10; fewer leaves the proposal pending).
func WithShadow(margin float64, minRecords int) Option {
	return func(o *options) error {
		if margin < 0 || math.IsNaN(margin) || minRecords < learn.MinShadowN {
			return &ConfigError{Field: "shadow", Reason: fmt.Sprintf("need margin >= 0 and min records >= %d", learn.MinShadowN)}
		}
		o.margin, o.minShadow = margin, minRecords
		return nil
	}
}

// WithChangeRate limits each threshold to max changes (rollbacks exempt) in any window
// (default 6 per hour), a temporal-logic rule checked by the learner.
func WithChangeRate(max int, window time.Duration) Option {
	return func(o *options) error {
		if max < 1 || window < 2*time.Millisecond || window > 24*time.Hour {
			return &ConfigError{Field: "change rate", Reason: "need max >= 1 and 2ms <= window <= 24h"}
		}
		o.maxChanges, o.changeWindow = max, window
		return nil
	}
}

// WithWatch sets how many live outcomes after a change decide whether it degraded things
// (default 50) and the margin (default 0).
func WithWatch(n int, margin float64) Option {
	return func(o *options) error {
		if n < 2 || margin < 0 {
			return &ConfigError{Field: "watch", Reason: "need n >= 2 and margin >= 0"}
		}
		o.watchN, o.watchMargin = n, margin
		return nil
	}
}

// WithDepth sets the learner's depth (2..5, default 3).
func WithDepth(d int) Option {
	return func(o *options) error { o.depth = d; return nil }
}

// WithFeedbackRate bounds each tenant's counted labels (default 10/s, burst 100).
func WithFeedbackRate(perSecond float64, burst int) Option {
	return func(o *options) error {
		if perSecond <= 0 || burst < 1 {
			return &ConfigError{Field: "feedback rate", Reason: "need rate > 0 and burst >= 1"}
		}
		o.fbRate, o.fbBurst = perSecond, burst
		return nil
	}
}

// WithBuffer bounds the per-response buffer: a response is observed settle after its final
// chunk (default 10s) or idle after its last message (default 1m); at most maxOpen responses
// (default 2048) are buffered, each with at most maxTokens tokens (default 512).
func WithBuffer(settle, idle time.Duration, maxOpen, maxTokens int) Option {
	return func(o *options) error {
		if settle <= 0 || idle < settle || maxOpen < 1 || maxTokens < 1 {
			return &ConfigError{Field: "buffer", Reason: "need 0 < settle <= idle, maxOpen >= 1, maxTokens >= 1"}
		}
		o.settle, o.idle, o.maxOpen, o.maxTokens = settle, idle, maxOpen, maxTokens
		return nil
	}
}

// WithClock sets the time source of the learner and the buffer (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) error { o.clock = now; return nil }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithAuditBucket sets the KV bucket of the audit trail (default "ms_audit").
func WithAuditBucket(name string) Option {
	return func(o *options) error { o.auditBucket = name; return nil }
}

// WithSweep sets how often buffered responses are checked for settling (default 500ms).
func WithSweep(d time.Duration) Option {
	return func(o *options) error { o.sweep = d; return nil }
}

// WithPatternEvery sets after how many violations of a tenant/model the miner proposes
// patterns (default 256).
func WithPatternEvery(n int) Option {
	return func(o *options) error { o.patternEvery = n; return nil }
}
