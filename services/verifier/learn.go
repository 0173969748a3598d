package verifier

import (
	"sync"
	"sync/atomic"

	"github.com/midstream/midstream/pkg/ltl"
	"github.com/midstream/midstream/pkg/ltl/forecast"
)

// ForecastOptions set how the verifier learns forecasts for undecided rules.
type ForecastOptions struct {
	// RefitEvery is the number of new completed traces of a rule after which its forecast is
	// refitted (default 16; the first fit happens after the first RefitEvery traces).
	RefitEvery int
	// MaxPending bounds the completed traces waiting for the next refit, per rule (default 1024);
	// beyond it new traces are dropped and counted.
	MaxPending int
	// MaxTraceLen is the longest trace, in events, that is recorded (default 16384).
	MaxTraceLen int
	// MaxRuns bounds the changes of monitor state recorded per rule and response (default 256);
	// a response with more is not recorded for that rule.
	MaxRuns int
	// MaxStates bounds each rule's model (forecast.WithMaxStates; default 4096 nodes).
	MaxStates int
	// StepBuckets conditions the forecast on the step (forecast.WithStepBuckets; default 12:
	// buckets 0, 1, 2-3, ..., 1024+).
	StepBuckets int
}

func (o ForecastOptions) withDefaults() ForecastOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.RefitEvery, 16)
	def(&o.MaxPending, 1024)
	def(&o.MaxTraceLen, 1<<14)
	def(&o.MaxRuns, 256)
	def(&o.MaxStates, 4096)
	def(&o.StepBuckets, 12)
	if o.StepBuckets > forecast.MaxStepBuckets {
		o.StepBuckets = forecast.MaxStepBuckets
	}
	return o
}

// run is a stretch of events after which a rule's monitor was in the same state.
type run struct {
	state ltl.StateID
	n     uint32
}

// pendingTrace is a completed response as one rule saw it, run-length encoded.
type pendingTrace struct {
	runs     []run
	violated bool
}

// learner owns one formula's compiled monitor and the forecast learnt from its past traces.
// Sessions add completed traces (cheap, under a mutex); a goroutine started when enough have
// accumulated folds them into the model and refits, off the hot path, and publishes the new
// immutable Forecast atomically.
type learner struct {
	c    *ltl.Compiled
	opts ForecastOptions

	mu      sync.Mutex
	pending []pendingTrace
	model   *forecast.Model
	fitting bool
	dropped uint64
	refused uint64 // traces the model refused (state limit)
	fits    uint64
	fitErrs uint64

	fc atomic.Pointer[forecast.Forecast]
	wg *sync.WaitGroup // the analyser's fitting goroutines
}

func newLearnerFunc(opts ForecastOptions, wg *sync.WaitGroup) func(*ltl.Compiled) *learner {
	return func(c *ltl.Compiled) *learner {
		return &learner{c: c, opts: opts, wg: wg,
			model: forecast.New(forecast.WithMaxStates(opts.MaxStates), forecast.WithStepBuckets(opts.StepBuckets))}
	}
}

// forecast returns the latest fitted forecast, or nil before the first fit.
func (l *learner) forecast() *forecast.Forecast { return l.fc.Load() }

// add queues a completed trace and starts a refit when enough are waiting.
func (l *learner) add(t pendingTrace) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) >= l.opts.MaxPending {
		l.dropped++
		return
	}
	l.pending = append(l.pending, t)
	if l.fitting || len(l.pending) < l.opts.RefitEvery {
		return
	}
	l.fitting = true
	batch := l.pending
	l.pending = nil
	l.wg.Add(1)
	go l.refit(batch)
}

// refit folds batch into the model and fits it; the model is touched only by the one refit
// goroutine at a time (l.fitting), so Observe and Fit run without holding l.mu.
func (l *learner) refit(batch []pendingTrace) {
	defer l.wg.Done()
	var states []int
	var refused uint64
	for {
		for _, t := range batch {
			states = states[:0]
			for _, r := range t.runs {
				for range r.n {
					states = append(states, int(r.state))
				}
			}
			if err := l.model.Observe(forecast.Trace{States: states, Violated: t.violated}); err != nil {
				refused++
			}
		}
		f, err := l.model.Fit()
		l.mu.Lock()
		l.refused += refused
		refused = 0
		if err != nil {
			l.fitErrs++
		} else {
			l.fits++
			l.fc.Store(f)
		}
		if len(l.pending) < l.opts.RefitEvery {
			l.fitting = false
			l.mu.Unlock()
			return
		}
		batch = l.pending
		l.pending = nil
		l.mu.Unlock()
	}
}

// LearnerStats describes one rule's forecast model.
type LearnerStats struct {
	Traces  int    // traces in the fitted forecast (0 before the first fit)
	States  int    // nodes of the model
	Pending int    // completed traces waiting for the next refit
	Dropped uint64 // traces dropped because too many were pending
	Refused uint64 // traces the model refused (state limit)
	Fits    uint64 // successful fits
}

func (l *learner) stats() LearnerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LearnerStats{Pending: len(l.pending), Dropped: l.dropped, Refused: l.refused, Fits: l.fits}
	if !l.fitting {
		s.States = l.model.States()
	}
	if f := l.fc.Load(); f != nil {
		s.Traces = f.Traces()
	}
	return s
}
