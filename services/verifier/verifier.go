package verifier

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/rules"
	"github.com/midstream/midstream/pkg/wire"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Name is the analyser's name: the verdict subject token, the consumer prefix and the prefix of
// its ms_config keys.
const Name = "verifier"

// KindRule is the Kind of every verifier verdict.
const KindRule = "rule"

// Verdict statuses.
const (
	StatusTrue            = "true"
	StatusFalse           = "false"
	StatusPresumablyTrue  = "presumably_true"
	StatusPresumablyFalse = "presumably_false"
)

// Option configures an Analyser.
type Option func(*options)

type options struct {
	limits   Limits
	forecast ForecastOptions
	session  SessionLimits
	mp       metric.MeterProvider
}

// SessionLimits bound the state kept per open response.
type SessionLimits struct {
	// MaxHistory is the number of chunks whose propositions are kept for counterexamples and
	// witnesses (default 4096); a rule decided later gets evidence without a slice.
	MaxHistory int
	// MaxChanges bounds the presumable-verdict changes published per rule and response
	// (default 16); definitive verdicts are always published.
	MaxChanges int
	// MaxExplainPerChunk bounds the counterexamples and witnesses computed for one chunk
	// (default 8; negative: none); further rules decided at that chunk carry
	// Evidence.Unexplained. Explaining costs far more than monitoring (pkg/ltl's minimisation,
	// milliseconds for a few hundred events), so this bounds the worst chunk's cost.
	MaxExplainPerChunk int
}

func (l SessionLimits) withDefaults() SessionLimits {
	if l.MaxHistory <= 0 {
		l.MaxHistory = 4096
	}
	if l.MaxExplainPerChunk == 0 {
		l.MaxExplainPerChunk = 8
	}
	if l.MaxChanges <= 0 {
		l.MaxChanges = 16
	}
	return l
}

// WithLimits sets the configuration limits.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithForecast sets how forecasts are learnt.
func WithForecast(f ForecastOptions) Option { return func(o *options) { o.forecast = f } }

// WithSessionLimits sets the per-response limits.
func WithSessionLimits(l SessionLimits) Option { return func(o *options) { o.session = l } }

// WithMeterProvider sets where metrics go (default the OpenTelemetry global).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// Analyser is the verifier (analysis.Analyser and analysis.Configurable). It is safe for
// concurrent use.
type Analyser struct {
	lim  Limits
	sl   SessionLimits
	fo   ForecastOptions
	cfg  atomic.Pointer[config]
	mu   sync.Mutex          // serialises Configure
	mods map[string]*learner // by normalised formula, for the configuration in force
	// A value valid on its own but rejected because the other key's value in force lacks a
	// proposition it needs (or needs one it drops) waits here for the other key to change.
	pendSpec  *PoliciesSpec
	pendSet   *rules.Set
	pendProps []byte
	fits      sync.WaitGroup
	m         *metrics
}

var (
	_ analysis.Analyser     = (*Analyser)(nil)
	_ analysis.Configurable = (*Analyser)(nil)
)

// New returns a verifier with the default proposition set (rules.Default) and no policies,
// until Configure says otherwise. It fails only if its metrics cannot be registered.
func New(opts ...Option) (*Analyser, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	a := &Analyser{lim: o.limits.withDefaults(), sl: o.session.withDefaults(), fo: o.forecast.withDefaults(), mods: map[string]*learner{}}
	a.cfg.Store(&config{set: rules.Default(), policies: map[string]*policy{}, spec: PoliciesSpec{Default: DefaultPolicy}})
	m, err := newMetrics(o.mp, a)
	if err != nil {
		return nil, err
	}
	a.m = m
	return a, nil
}

// Configure applies the ms_config key "verifier.<name>": KeyPolicies or KeyProps. A nil value
// (the key was deleted) restores the default: no policies, or the default proposition set. An
// invalid value, or one under which some rule of the other key would name a proposition that
// does not exist, is rejected with an error matching ErrConfig, and the configuration in force
// stays. New responses see the new configuration; responses already streaming keep the one
// they started with until they end.
func (a *Analyser) Configure(name string, value []byte) (err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.cfg.Load()
	spec, set, props := cur.spec, cur.set, cur.props
	switch name {
	case KeyPolicies:
		defer func() { a.m.update(name, err) }()
		spec = PoliciesSpec{Default: DefaultPolicy}
		if value != nil {
			if spec, err = ParsePolicies(value, a.lim); err != nil {
				return err
			}
		}
	case KeyProps:
		defer func() { a.m.update(name, err) }()
		set, props = rules.Default(), nil
		if value != nil {
			if set, err = ParseProps(value, a.lim); err != nil {
				return err
			}
			props = append([]byte(nil), value...)
		}
	default:
		return &ConfigError{Key: name, Rule: -1, Err: ErrUnknownKey}
	}
	// The two keys depend on each other (formulas name propositions) and arrive in any order:
	// first try the latest valid value of each together, so a props update followed by policies
	// that use it (or the reverse) ends with both applied; else the new value with what is in force.
	var next *config
	if name == KeyPolicies && a.pendSet != nil {
		if next, err = a.build(spec, a.pendSet); err == nil {
			set, props = a.pendSet, a.pendProps
		}
	} else if name == KeyProps && a.pendSpec != nil {
		if next, err = a.build(*a.pendSpec, set); err == nil {
			spec = *a.pendSpec
		}
	}
	if next == nil {
		if next, err = a.build(spec, set); err != nil {
			a.remember(name, spec, set, props, err)
			return err
		}
	}
	a.pendSpec, a.pendSet, a.pendProps = nil, nil, nil
	// Forget the formulas no longer used (sessions still running keep theirs alive).
	used := make(map[string]*learner)
	for _, p := range next.policies {
		for _, r := range p.rules {
			used[r.formula] = r.fc
		}
	}
	a.mods = used
	next.spec, next.set, next.props = spec, set, props
	next.version = cur.version + 1
	a.cfg.Store(next)
	return nil
}

// Wait blocks until the forecast refits running now have finished (for shutdown and tests).
func (a *Analyser) Wait() { a.fits.Wait() }

// Version returns the number of configuration changes applied since New.
func (a *Analyser) Version() uint64 { return a.cfg.Load().version }

// Policies returns the policies document in force (Default filled in).
func (a *Analyser) Policies() PoliciesSpec { return a.cfg.Load().spec }

// PoliciesJSON returns the policies document in force, encoded.
func (a *Analyser) PoliciesJSON() []byte {
	b, _ := json.Marshal(a.cfg.Load().spec)
	return b
}

// Props returns the proposition set in force.
func (a *Analyser) Props() *rules.Set { return a.cfg.Load().set }

// NumRules returns the number of rules of the policy a response naming policy runs under.
func (a *Analyser) NumRules(policy string) int {
	if p := a.cfg.Load().policyFor(policy); p != nil {
		return len(p.rules)
	}
	return 0
}

// Forecast returns the statistics of the forecast model of rule id of policy, and false if
// there is no such rule in force.
func (a *Analyser) Forecast(policy, id string) (LearnerStats, bool) {
	p := a.cfg.Load().policies[policy]
	if p == nil {
		return LearnerStats{}, false
	}
	for _, r := range p.rules {
		if r.id == id {
			return r.fc.stats(), true
		}
	}
	return LearnerStats{}, false
}

// Start returns the session of a new response, under the configuration in force now and the
// policy its metadata names (or the default policy).
func (a *Analyser) Start(stream string, meta *wire.Meta) analysis.Session {
	cfg := a.cfg.Load()
	name := ""
	if meta != nil {
		name = meta.Policy
	}
	return newSession(a, cfg, cfg.policyFor(name))
}

func (a *Analyser) build(spec PoliciesSpec, set *rules.Set) (*config, error) {
	mods := make(map[string]*learner, len(a.mods))
	for k, v := range a.mods {
		mods[k] = v
	}
	next, err := build(spec, set, mods, newLearnerFunc(a.fo, &a.fits))
	if err == nil {
		a.mods = mods
	}
	return next, err
}

func (a *Analyser) remember(key string, spec PoliciesSpec, set *rules.Set, props []byte, err error) {
	if !errors.Is(err, ErrUnknownAtom) {
		return
	}
	if key == KeyPolicies {
		a.pendSpec = &spec
	} else {
		a.pendSet, a.pendProps = set, props
	}
}
