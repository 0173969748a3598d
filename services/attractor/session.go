package attractor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/dynamics"
	"github.com/midstream/midstream/pkg/wire"
)

// Verdict kinds and statuses.
const (
	KindClassification = "classification"
	KindLoop           = "loop"
	StatusDetected     = "detected"
)

// Evidence is the Evidence of attractor verdicts.
type Evidence struct {
	Series string `json:"series"`
	// Unit is what one point of the series is: "token" or "chunk". Periods and exponents
	// are per point.
	Unit string `json:"unit"`
	// Points is the number of points of the series so far; Window the number analysed (the
	// latest ones).
	Points int64 `json:"points"`
	Window int   `json:"window"`
	// Attractor is the class; Period its period in points (limit cycles and loops).
	Attractor string  `json:"attractor"`
	Period    float64 `json:"period,omitempty"`
	// Lyapunov is the largest exponent per point, present only when the window held at
	// least min_lyapunov_points and the divergence curve had a straight fit region;
	// LyapunovNote says why it is absent otherwise.
	Lyapunov     *Exponent `json:"lyapunov,omitempty"`
	LyapunovNote string    `json:"lyapunov_note,omitempty"`
	// CorrelationDimension is the Grassberger–Procaccia D2 and D2Converged whether its
	// slope stopped growing with the embedding dimension.
	CorrelationDimension *float64 `json:"correlation_dimension,omitempty"`
	D2Converged          bool     `json:"d2_converged,omitempty"`
	EmbeddingDimension   int      `json:"embedding_dimension,omitempty"`
	Delay                int      `json:"delay,omitempty"`
	Reason               string   `json:"reason,omitempty"`
}

// Exponent is a Rosenstein estimate with the region of the divergence curve it was fitted on.
type Exponent struct {
	PerPoint float64 `json:"per_point"`
	FitFrom  int     `json:"fit_from"` // first step of the fit, in points
	FitTo    int     `json:"fit_to"`   // one past the last step
	R2       float64 `json:"r2"`
}

// series is the state of one signal of one response.
type series struct {
	name, unit string
	loop       bool // loops in this series are reported
	classify   bool // the series is fully analysed and classified
	inc        *dynamics.Incremental
	deb        debouncer
	loopP      float64 // period of the last loop reported, 0 if none
	disabled   bool
}

// session is the attractor's state for one response.
type session struct {
	cfg    *Config
	series [5]*series // indexed like AllSeries; nil when not analysed
	prevTS time.Time
	acted  bool // the loop action was sent
}

const (
	idxLogprob = iota
	idxEntropy
	idxGap
	idxLength
	idxTokens
)

func newSession(cfg *Config) *session {
	s := &session{cfg: cfg}
	for i, name := range AllSeries {
		if !contains(cfg.Series, name) {
			continue
		}
		unit := "chunk"
		if i == idxLogprob || i == idxEntropy {
			unit = "token"
		}
		s.series[i] = &series{name: name, unit: unit, loop: contains(cfg.LoopSeries, name), classify: contains(cfg.Classify, name)}
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// sink receives a session's findings; *analysis.Emitter is one, tests record them.
type sink interface {
	Verdict(v wire.Verdict)
	Action(typ wire.ActionType, rule, reason string)
}

// Observe adds the chunk's points to the series.
func (s *session) Observe(_ context.Context, c *wire.Chunk, e *analysis.Emitter) error {
	s.observe(c, e)
	return nil
}

func (s *session) observe(c *wire.Chunk, e sink) {
	for i := range c.Tokens {
		t := &c.Tokens[i]
		s.add(idxLogprob, t.Logprob, e)
		if s.series[idxEntropy] != nil {
			if h, ok := TopEntropy(t); ok {
				s.add(idxEntropy, h, e)
			}
		}
	}
	if !c.Time.IsZero() {
		if !s.prevTS.IsZero() {
			if g := c.Time.Sub(s.prevTS); g >= 0 {
				s.add(idxGap, float64(g)/float64(time.Millisecond), e)
			}
		}
		s.prevTS = c.Time
	}
	if c.Text != "" {
		s.add(idxLength, float64(chunkLength(c)), e)
	}
	if len(c.Tokens) > 0 {
		s.add(idxTokens, float64(len(c.Tokens)), e)
	}
}

// End emits nothing: a class not yet confirmed by the debounce is not reported.
func (s *session) End(context.Context, analysis.EndReason, *analysis.Emitter) {}

// MemoryBytes returns the bytes held by the session's series state.
func (s *session) MemoryBytes() int {
	n := 160
	for _, sr := range s.series {
		if sr == nil {
			continue
		}
		n += 96
		if sr.inc != nil {
			n += sr.inc.MemoryBytes()
		}
	}
	return n
}

func (s *session) add(i int, v float64, e sink) {
	sr := s.series[i]
	if sr == nil || sr.disabled {
		return
	}
	cfg := s.cfg
	if sr.inc == nil {
		// A series watched only for loops never gets a full analysis: its hop is beyond any
		// response length.
		hop := cfg.Hop
		if !sr.classify {
			hop = math.MaxInt32
		}
		inc, err := dynamics.NewIncremental(cfg.Window, dynamics.WithHop(hop), dynamics.WithMaxPeriod(cfg.MaxPeriod),
			dynamics.WithSurrogates(cfg.Surrogates, cfg.Alpha))
		if err != nil {
			// The configuration was validated against the same bounds; a failure here means
			// the library's limits moved. Skip the series rather than fail every chunk.
			sr.disabled = true
			return
		}
		sr.inc = inc
	}
	ev, err := sr.inc.Add(v)
	if errors.Is(err, dynamics.ErrNonFinite) {
		return
	}
	// Any other error is the periodic full analysis failing (a constant window, no fit
	// region): the value is kept and the previous class stands.
	n := sr.inc.Count()
	if sr.classify {
		s.classify(sr, ev, n, e)
	}
	if sr.loop && ev.Loop {
		s.loop(sr, ev, n, e)
	}
}

// classify applies the debounce: a class is reported once it has held Debounce points, and
// only when it differs from the last one reported.
func (s *session) classify(sr *series, ev dynamics.Event, n int64, e sink) {
	cfg := s.cfg
	class := ev.Attractor
	r := sr.inc.Result()
	if n < int64(cfg.MinPoints) || r == nil || (class != dynamics.Unknown && r.Confidence < cfg.MinClassConfidence) {
		class = dynamics.Unknown
	}
	if !sr.deb.step(class, n, int64(cfg.Debounce)) {
		return
	}
	ev2 := Evidence{Series: sr.name, Unit: sr.unit, Points: n, Attractor: class.String()}
	v := wire.Verdict{Kind: KindClassification, Rule: sr.name, Status: class.String()}
	if r != nil {
		ev2.Window = r.N
		ev2.EmbeddingDimension, ev2.Delay, ev2.Reason = r.Dimension.Dim, r.Delay.Delay, r.Reason
		if class == r.Attractor {
			v.Confidence = r.Confidence
			ev2.Period = r.Period
		}
		switch {
		case r.N < cfg.MinLyapunovPoints:
			ev2.LyapunovNote = fmt.Sprintf("not estimated below %d points (window holds %d)", cfg.MinLyapunovPoints, r.N)
		case r.Lyapunov == nil:
			ev2.LyapunovNote = "no divergence curve (" + firstWarning(r) + ")"
		case !r.Lyapunov.Linear:
			ev2.LyapunovNote = "divergence curve has no straight region; exponent unreliable"
		default:
			l := r.Lyapunov
			ev2.Lyapunov = &Exponent{PerPoint: l.PerSample, FitFrom: l.Fit.Lo, FitTo: l.Fit.Hi, R2: l.Fit.R2}
			v.Score = l.PerSample
		}
		if r.Correlation != nil && !math.IsNaN(r.Correlation.D2) {
			d2 := r.Correlation.D2
			ev2.CorrelationDimension, ev2.D2Converged = &d2, r.Correlation.Converged
		}
	}
	v.Reason = fmt.Sprintf("%s series (%d %ss): %s", sr.name, n, sr.unit, class)
	v.Evidence = analysis.Evidence(ev2)
	e.Verdict(v)
}

// debouncer reports a class once it has held for a number of points and differs from the
// last class reported (Unknown before any report).
type debouncer struct {
	reported dynamics.Attractor
	cand     dynamics.Attractor
	since    int64 // point at which cand became the current class
}

// step records the class at point n and reports whether it is to be published now.
func (d *debouncer) step(class dynamics.Attractor, n, hold int64) bool {
	if class != d.cand {
		d.cand, d.since = class, n
	}
	if d.cand == d.reported || n-d.since < hold {
		return false
	}
	d.reported = d.cand
	return true
}

func firstWarning(r *dynamics.Result) string {
	if len(r.Warnings) == 0 {
		return "not computed"
	}
	return r.Warnings[0]
}

// loop reports a loop the first time it is seen with a period (not a multiple of the one
// already reported) and a confidence of at least MinLoopConfidence; the first report of the
// response carries the configured action.
func (s *session) loop(sr *series, ev dynamics.Event, n int64, e sink) {
	p := ev.LoopPeriod
	if sr.loopP > 0 && math.Abs(p/sr.loopP-math.Round(p/sr.loopP)) < 1e-9 {
		return
	}
	conf := LoopConfidence(sr.inc.Window(), int(p))
	if conf < s.cfg.MinLoopConfidence {
		return
	}
	sr.loopP = p
	act := ""
	if !s.acted && s.cfg.LoopAction != ActionNone {
		act, s.acted = s.cfg.LoopAction, true
	}
	reason := fmt.Sprintf("%s series repeats with a period of %g %ss (confidence %.2f)", sr.name, p, sr.unit, conf)
	e.Verdict(wire.Verdict{
		Kind: KindLoop, Rule: sr.name, Status: StatusDetected, Confidence: conf, Action: act, Reason: reason,
		Evidence: analysis.Evidence(Evidence{
			Series: sr.name, Unit: sr.unit, Points: n, Window: len(sr.inc.Window()),
			Attractor: dynamics.LimitCycle.String(), Period: p,
		}),
	})
	if act != "" {
		e.Action(wire.ActionType(act), sr.name, reason)
	}
}

// LoopConfidence is the fraction of the window's variance that the repetition with period p
// reproduces over the latest max(3p, 32) values (the run the early loop test of pkg/dynamics requires): 1 − mean (x[t] − x[t−p])² / (2 var x), in
// [0, 1]. Exact repetition gives 1; unrelated values about 0. It returns 0 when p < 1, the
// window is shorter than the span needed, or the window is constant.
func LoopConfidence(win []float64, p int) float64 {
	span := max(3*p, 32)
	n := len(win)
	if p < 1 || n < span+p {
		return 0
	}
	var sum, sum2 float64
	for _, x := range win {
		sum += x
		sum2 += x * x
	}
	mean := sum / float64(n)
	v := sum2/float64(n) - mean*mean
	if v <= 0 {
		return 0
	}
	var d float64
	for t := n - span; t < n; t++ {
		x := win[t] - win[t-p]
		d += x * x
	}
	c := 1 - d/float64(span)/(2*v)
	return math.Min(math.Max(c, 0), 1)
}
