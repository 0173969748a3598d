package compare

import (
	"sync"
	"sync/atomic"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/seq"
	"github.com/midstream/midstream/pkg/wire"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Name is the analyser's name: the verdict subject token, the consumer prefix and the prefix of
// its ms_config keys.
const Name = "compare"

// Verdict kinds and the repetition rule name.
const (
	KindMatch      = "match"
	KindRepetition = "repetition"
	RuleRepetition = "repetition"
	// RuleConversationPrefix starts the Rule of a conversation match; the earlier response's
	// stream id follows.
	RuleConversationPrefix = "conversation:"
	// StatusDetected is the Status of every compare verdict.
	StatusDetected = "detected"
	// MaxRepetitionVerdicts bounds the repetition verdicts of one response (one per separate
	// repeating stretch).
	MaxRepetitionVerdicts = 8
)

// Option configures an Analyser.
type Option func(*options)

type options struct {
	limits Limits
	mp     metric.MeterProvider
}

// WithLimits sets the size limits of the library, the history and the session vocabulary.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithMeterProvider sets where metrics go (default the OpenTelemetry global).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// state is one immutable configuration; sessions keep the one in force when they started.
type state struct {
	lib  *Library
	rep  RepetitionConfig
	conv ConversationConfig
}

// Analyser is the compare analyser (analysis.Analyser and analysis.Configurable). It is safe
// for concurrent use.
type Analyser struct {
	lim   Limits
	state atomic.Pointer[state]
	mu    sync.Mutex // serialises Configure
	hist  *history
	m     *metrics
}

var (
	_ analysis.Analyser     = (*Analyser)(nil)
	_ analysis.Configurable = (*Analyser)(nil)
)

// New returns an analyser with an empty reference library and the default repetition and
// conversation policies, until Configure says otherwise. It fails only if its metrics cannot
// be registered.
func New(opts ...Option) (*Analyser, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	a := &Analyser{lim: o.limits.withDefaults()}
	a.hist = newHistory(a.lim.MaxHistoryTokens)
	a.state.Store(&state{lib: emptyLibrary, rep: DefaultRepetition(), conv: DefaultConversation()})
	m, err := newMetrics(o.mp, a)
	if err != nil {
		return nil, err
	}
	a.m = m
	return a, nil
}

// Configure applies the ms_config key "compare.<name>": KeyReferences, KeyRepetition or
// KeyConversation. A nil value (the key was deleted) restores the default: the empty library,
// DefaultRepetition, DefaultConversation. An invalid value is rejected with an error matching
// ErrConfig, and the configuration in force stays. New responses see the new configuration;
// responses already streaming keep the one they started with.
func (a *Analyser) Configure(name string, value []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := *a.state.Load()
	var err error
	switch name {
	case KeyReferences:
		if value == nil {
			st.lib = emptyLibrary
			break
		}
		var lib *Library
		if lib, err = ParseReferences(value, a.lim); err == nil {
			st.lib = lib
		}
		a.m.update(name, err)
	case KeyRepetition:
		st.rep = DefaultRepetition()
		if value != nil {
			st.rep, err = ParseRepetition(value)
		}
		a.m.update(name, err)
	case KeyConversation:
		st.conv = DefaultConversation()
		if value != nil {
			st.conv, err = ParseConversation(value)
		}
		a.m.update(name, err)
	default:
		return &ConfigError{Key: name, Index: -1, Err: ErrUnknownKey}
	}
	if err != nil {
		return err
	}
	a.state.Store(&st)
	return nil
}

// Library returns the reference library in force.
func (a *Analyser) Library() *Library { return a.state.Load().lib }

// Repetition returns the repetition policy in force.
func (a *Analyser) Repetition() RepetitionConfig { return a.state.Load().rep }

// Conversation returns the conversation policy in force.
func (a *Analyser) Conversation() ConversationConfig { return a.state.Load().conv }

// HistoryLen returns how many finished responses of conversation conv are kept for
// cross-matching.
func (a *Analyser) HistoryLen(conv string) int { return a.hist.responses(conv) }

// Start returns the session of a new response. It takes the configuration in force now, a
// light matcher of the library's compiled windows (the match tables stay shared) and, when
// the response names a conversation with finished responses, a matcher over their windows.
func (a *Analyser) Start(stream string, meta *wire.Meta) analysis.Session {
	st := a.state.Load()
	s := &session{a: a, st: st, stream: stream, nextLocal: int32(len(st.lib.vocab))}
	s.lm = st.lib.matcher()
	s.reported = make([]bool, len(st.lib.refs))
	keep := st.lib.keep
	if st.rep.Enabled {
		// seq validated the options in ParseRepetition's ranges.
		rd, err := seq.NewRepeatDetector(st.rep.MaxPeriod, seq.WithMinCount(st.rep.MinCount), seq.WithMinSpan(st.rep.MinSpan))
		if err == nil {
			s.rd = rd
			keep = max(keep, max(st.rep.MinCount*st.rep.MaxPeriod, st.rep.MinSpan)+st.rep.MaxPeriod+2)
		}
	}
	if meta != nil && meta.Conversation != "" && st.conv.Enabled {
		s.conv = meta.Conversation
		s.keepWords = make([]string, 0, 64)
		if past := a.hist.recent(s.conv, st.conv.MaxResponses); len(past) > 0 {
			s.startConversation(past)
			keep = max(keep, s.convKeep)
		}
	}
	size := 64
	for size < keep {
		size <<= 1
	}
	s.ring = make([]wordInfo, size)
	s.mask = size - 1
	return s
}
