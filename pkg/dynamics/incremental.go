package dynamics

import (
	"math"
)

// Incremental analyses a growing series over a sliding window of its latest values.
// Memory is bounded by the window: 16·window + 8·maxPeriod bytes of state plus the last
// Result (curves dropped). Each Add costs O(maxPeriod) to maintain, for every lag τ, the
// length of the current run of values that repeat the value τ earlier (within
// earlyTol·σ), which detects a loop as soon as the last 4 periods repeat; every hop values
// the whole window is re-analysed with Analyze, so the amortised cost per value is
// O(maxPeriod) + cost(Analyze(window))/hop. It is not safe for concurrent use.
type Incremental struct {
	cfg    config
	window int
	maxP   int
	buf    []float64 // 2·window: the window slides through it and is copied back when full
	start  int       // window = buf[start : start+size]
	size   int
	count  int64   // values added since creation or Reset
	run    []int32 // run[τ]: consecutive latest values within tolerance of the value τ before
	sum    float64 // Σ x over the window
	sum2   float64 // Σ x² over the window
	since  int     // values since the last full analysis
	exact  int     // values since the running sums were last recomputed
	last   *Result
	class  Attractor
	period float64
	loop   bool    // the early test currently detects a loop
	loopP  float64 // its period
}

// earlyTol is the tolerance of the early loop test, in standard deviations of the
// window: a value repeats the one a period before if they differ by less than this.
// Exact loops (repeated tokens) pass at any tolerance; 0.05σ keeps 1% noise well inside
// and near-periodic chaotic episodes (Lorenz spirals) outside.
const earlyTol = 0.05

// earlyMinRun is the fewest repeating values that make a loop, whatever the period:
// chaotic series shadow their unstable short cycles (Hénon's period 2) for a few
// iterations, but with a positive exponent not for 32.
const earlyMinRun = 32

// Event reports the state after one Add.
type Event struct {
	// Analysed is true when this value triggered a full analysis of the window.
	Analysed bool
	// Changed is true when the full analysis changed the class or the period.
	Changed bool
	// Attractor and Period (samples, 0 unless a limit cycle) are those of the last full
	// analysis of the window (Unknown before the first).
	Attractor Attractor
	Period    float64
	// Loop is true while the latest values repeat with LoopPeriod (integer samples),
	// detected per value, long before the loop dominates the window; LoopStarted is true
	// on the value where a loop (or a loop with a different period) was first detected.
	Loop        bool
	LoopPeriod  float64
	LoopStarted bool
}

// NewIncremental returns an analyser keeping the last window values (at least
// MinLength). Options are those of Analyze plus WithHop and WithMaxPeriod (default
// window/4, at most 512).
func NewIncremental(window int, opts ...Option) (*Incremental, error) {
	if window < MinLength {
		return nil, &ParamError{Name: "window", Value: window, Why: "must be at least MinLength"}
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.hop == 0 {
		cfg.hop = window
	}
	maxP := cfg.maxPeriod
	if maxP == 0 {
		maxP = min(window/4, 512)
	}
	maxP = min(maxP, window/(periodMinMultiples+1))
	a := &Incremental{cfg: cfg, window: window, maxP: maxP, buf: make([]float64, 2*window), run: make([]int32, maxP+1)}
	return a, nil
}

// Reset forgets all values, keeping the buffers.
func (a *Incremental) Reset() {
	a.start, a.size, a.count, a.since, a.exact = 0, 0, 0, 0, 0
	a.sum, a.sum2 = 0, 0
	clear(a.run)
	a.last, a.class, a.period, a.loop, a.loopP = nil, Unknown, 0, false, 0
}

// Window returns the values in the window, oldest first. The slice aliases internal
// storage and is valid until the next Add.
func (a *Incremental) Window() []float64 { return a.buf[a.start : a.start+a.size] }

// Count returns the number of values added since creation or Reset.
func (a *Incremental) Count() int64 { return a.count }

// Result returns the last full analysis, or nil before the first.
func (a *Incremental) Result() *Result { return a.last }

// MemoryBytes returns the bytes held by the analyser's state (excluding the last Result,
// whose curves are dropped: a few hundred bytes).
func (a *Incremental) MemoryBytes() int { return 8*len(a.buf) + 4*len(a.run) + 200 }

// Add appends a value. It fails with ErrNonFinite for NaN or ±Inf (the value is
// ignored); an error of the periodic full analysis is returned too, the value being kept.
func (a *Incremental) Add(v float64) (Event, error) {
	if v-v != 0 {
		return Event{Attractor: a.class, Period: a.period}, &SeriesError{Index: int(a.count), Value: v, N: int(a.count), Err: ErrNonFinite}
	}
	w := a.window
	if a.size == w {
		old := a.buf[a.start]
		a.sum -= old
		a.sum2 -= old * old
		a.start++
		a.size--
	}
	if a.start+a.size == 2*w {
		// Slide the window back to the front of the buffer.
		copy(a.buf, a.buf[a.start:a.start+a.size])
		a.start = 0
	}
	a.buf[a.start+a.size] = v
	a.size++
	a.count++
	win := a.buf[a.start : a.start+a.size]
	a.sum += v
	a.sum2 += v * v
	a.exact++
	if a.exact >= w {
		a.recompute()
	}
	fn := float64(a.size)
	mean := a.sum / fn
	sd := math.Sqrt(max(a.sum2/fn-mean*mean, 0))
	eps := earlyTol * sd
	last := a.size - 1
	for tau := 1; tau <= a.maxP; tau++ {
		if tau <= last && math.Abs(v-win[last-tau]) <= eps {
			a.run[tau]++
		} else {
			a.run[tau] = 0
		}
	}
	ev := Event{}
	prevClass, prevPeriod := a.class, a.period
	p, looping := a.earlyPeriod()
	ev.LoopStarted = looping && (!a.loop || !multipleOf(p, a.loopP))
	if looping {
		if ev.LoopStarted {
			a.loopP = p
		}
	} else {
		a.loopP = 0
	}
	a.loop = looping
	a.since++
	var err error
	if a.size >= MinLength && a.since >= a.cfg.hop {
		a.since = 0
		ev.Analysed = true
		var r *Result
		r, err = analyze(win, a.cfg)
		if err == nil {
			a.last = r
			a.class, a.period = r.Attractor, r.Period
		}
	}
	ev.Attractor, ev.Period = a.class, a.period
	ev.Loop, ev.LoopPeriod = a.loop, a.loopP
	ev.Changed = a.class != prevClass || a.period != prevPeriod
	return ev, err
}

// multipleOf reports whether p is within half a sample of a whole multiple of q > 0, so
// that a loop seen at twice its period is not reported as a new loop.
func multipleOf(p, q float64) bool {
	if q <= 0 {
		return false
	}
	k := math.Round(p / q)
	return k >= 1 && math.Abs(p-k*q) <= 0.5
}

// recompute rebuilds the running sums from the window, bounding round-off drift.
func (a *Incremental) recompute() {
	a.exact = 0
	a.sum, a.sum2 = 0, 0
	for _, x := range a.buf[a.start : a.start+a.size] {
		a.sum += x
		a.sum2 += x * x
	}
}

// earlyPeriod reports the smallest lag τ ≥ 2 such that the latest (periodMinMultiples+1)·τ
// values (and at least earlyMinRun + τ) repeat with period τ (each within earlyTol·σ of the value τ before) and the
// latest τ values span at least σ, so that slowly varying or constant stretches, which
// resemble themselves at short lags, are not taken for loops. Periods are integers here;
// a fractional period p shows at the first integer multiple of p and is refined by the
// next full analysis.
func (a *Incremental) earlyPeriod() (float64, bool) {
	n := a.size
	if n < MinLength/2 {
		return 0, false
	}
	fn := float64(n)
	mean := a.sum / fn
	sd := math.Sqrt(max(a.sum2/fn-mean*mean, 0))
	if sd == 0 {
		return 0, false
	}
	win := a.buf[a.start : a.start+a.size]
	lo, hi := win[n-1], win[n-1]
	for tau := 1; tau <= a.maxP && tau < n; tau++ {
		v := win[n-tau]
		lo, hi = min(lo, v), max(hi, v)
		if tau >= 2 && int(a.run[tau]) >= max(periodMinMultiples*tau, earlyMinRun) && hi-lo >= sd {
			return float64(tau), true
		}
	}
	return 0, false
}
