package forecast

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Trace is one past response as its rule's monitor saw it: the monitor state after each
// event, in order, and whether the rule was violated when the response ended.
type Trace struct {
	States   []int
	Violated bool
}

type nodeKey struct {
	state  int
	bucket int
}

type edge struct {
	to    int32
	count float64
}

// Model accumulates traces of one rule. It is not safe for concurrent use; Fit returns an
// immutable Forecast that is.
type Model struct {
	cfg       config
	index     map[nodeKey]int32
	keys      []nodeKey
	succ      []map[int32]float64 // successor counts per node
	endV      []float64           // traces that ended at the node, violated
	endS      []float64           // traces that ended at the node, not violated
	visits    []int
	traces    []int
	lastTrace []int // id of the last trace that visited the node, for counting traces
	nTraces   int
	nViolated int
}

// New returns an empty model. It panics on options out of range (a caller mistake): negative
// or non-finite smoothing, buckets outside 0..MaxStepBuckets, max states < 1, tolerance ≤ 0.
func New(opts ...Option) *Model {
	cfg := config{alpha: DefaultSmoothing, maxStates: DefaultMaxStates, tol: DefaultTolerance}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.alpha < 0 || math.IsNaN(cfg.alpha) || math.IsInf(cfg.alpha, 0) {
		panic(fmt.Sprintf("forecast: smoothing %v, want a finite value ≥ 0", cfg.alpha))
	}
	if cfg.buckets < 0 || cfg.buckets > MaxStepBuckets {
		panic(fmt.Sprintf("forecast: %d step buckets, want 0..%d", cfg.buckets, MaxStepBuckets))
	}
	if cfg.maxStates < 1 {
		panic(fmt.Sprintf("forecast: max states %d, want ≥ 1", cfg.maxStates))
	}
	if !(cfg.tol > 0) {
		panic(fmt.Sprintf("forecast: tolerance %v, want > 0", cfg.tol))
	}
	if cfg.buckets == 0 {
		cfg.buckets = 1
	}
	return &Model{cfg: cfg, index: map[nodeKey]int32{}}
}

// Bucket returns the step bucket of step i (0-based) for a model with n buckets: 0 for
// step 0, k for steps 2^(k-1)..2^k-1, capped at n-1.
func Bucket(i, n int) int {
	if n <= 1 || i <= 0 {
		return 0
	}
	return min(bits.Len(uint(i)), n-1)
}

// Observe adds one trace. An empty trace (a response with no events) counts only towards the
// base rate. A trace that would exceed the state limit is refused as a whole.
func (m *Model) Observe(t Trace) error {
	newNodes := 0
	seen := map[nodeKey]bool{}
	for i, s := range t.States {
		k := nodeKey{s, Bucket(i, m.cfg.buckets)}
		if _, ok := m.index[k]; !ok && !seen[k] {
			seen[k] = true
			newNodes++
		}
	}
	if len(m.keys)+newNodes > m.cfg.maxStates {
		return &LimitError{What: fmt.Sprintf("%d states", len(m.keys)+newNodes), Limit: m.cfg.maxStates}
	}
	m.nTraces++
	if t.Violated {
		m.nViolated++
	}
	prev := int32(-1)
	for i, s := range t.States {
		n := m.node(nodeKey{s, Bucket(i, m.cfg.buckets)})
		m.visits[n]++
		if m.lastTrace[n] != m.nTraces {
			m.lastTrace[n] = m.nTraces
			m.traces[n]++
		}
		if prev >= 0 {
			m.succ[prev][n]++
		}
		prev = n
	}
	if prev >= 0 {
		if t.Violated {
			m.endV[prev]++
		} else {
			m.endS[prev]++
		}
	}
	return nil
}

func (m *Model) node(k nodeKey) int32 {
	if n, ok := m.index[k]; ok {
		return n
	}
	n := int32(len(m.keys))
	m.index[k] = n
	m.keys = append(m.keys, k)
	m.succ = append(m.succ, map[int32]float64{})
	m.endV = append(m.endV, 0)
	m.endS = append(m.endS, 0)
	m.visits = append(m.visits, 0)
	m.traces = append(m.traces, 0)
	m.lastTrace = append(m.lastTrace, 0)
	return n
}

// Traces returns the number of traces observed.
func (m *Model) Traces() int { return m.nTraces }

// States returns the number of nodes (state, bucket pairs) in the model.
func (m *Model) States() int { return len(m.keys) }

// Fit solves the absorbing chain for every node and returns the fitted forecast.
//
// The chain: from node n the next node is n' with probability c(n,n') / (N(n) + α) and
// the response ends violated with probability (v(n) + α·p0) / (N(n) + α), not violated with
// (s(n) + α·(1−p0)) / (N(n) + α), where c, v, s are the observed counts, N(n) their sum, α
// the smoothing and p0 = (violated traces + 1) / (traces + 2) the Laplace-smoothed base
// rate. The forecast h(n) is the probability of ending violated, the solution of
// h(n) = Σ P(n→n') h(n') + P(n→violated), found by Gauss–Seidel sweeps in which each node's
// self-loop is solved exactly.
func (m *Model) Fit() (*Forecast, error) {
	if m.nTraces == 0 {
		return nil, fmt.Errorf("%w: no traces observed", ErrNoData)
	}
	n := len(m.keys)
	alpha := m.cfg.alpha
	p0 := (float64(m.nViolated) + 1) / (float64(m.nTraces) + 2)
	// Sparse rows with the self-loop split out; neighbours sorted for a deterministic order.
	type row struct {
		edges []edge
		self  float64 // probability of staying
		endV  float64 // probability of ending violated
	}
	rows := make([]row, n)
	for i := 0; i < n; i++ {
		total := m.endV[i] + m.endS[i] + alpha
		for _, c := range m.succ[i] {
			total += c
		}
		if total == 0 {
			return nil, fmt.Errorf("%w: node %d has no outgoing evidence and smoothing is 0", ErrInvalid, i)
		}
		r := row{endV: (m.endV[i] + alpha*p0) / total}
		for to, c := range m.succ[i] {
			if int(to) == i {
				r.self = c / total
				continue
			}
			r.edges = append(r.edges, edge{to, c / total})
		}
		sort.Slice(r.edges, func(a, b int) bool { return r.edges[a].to < r.edges[b].to })
		rows[i] = r
	}
	h := make([]float64, n)
	for i := range h {
		h[i] = p0
	}
	const maxSweeps = 100000
	converged := false
	for sweep := 0; sweep < maxSweeps; sweep++ {
		delta := 0.0
		for i := n - 1; i >= 0; i-- { // later nodes tend to be successors: visit them first
			r := &rows[i]
			x := r.endV
			for _, e := range r.edges {
				x += e.count * h[e.to]
			}
			if r.self < 1 {
				x /= 1 - r.self
			}
			delta = max(delta, math.Abs(x-h[i]))
			h[i] = x
		}
		if delta < m.cfg.tol {
			converged = true
			break
		}
	}
	if !converged {
		return nil, fmt.Errorf("%w after %d sweeps over %d states", ErrNotConverged, maxSweeps, n)
	}
	f := &Forecast{
		buckets: m.cfg.buckets,
		index:   make(map[nodeKey]int32, n),
		p:       h,
		visits:  append([]int(nil), m.visits...),
		traces:  append([]int(nil), m.traces...),
		base:    p0,
		nTraces: m.nTraces,
	}
	for k, v := range m.index {
		f.index[k] = v
	}
	return f, nil
}

// Forecast is a fitted model: immutable and safe for concurrent use.
type Forecast struct {
	buckets int
	index   map[nodeKey]int32
	p       []float64
	visits  []int
	traces  []int
	base    float64
	nTraces int
}

// Estimate is the forecast for one monitor state.
type Estimate struct {
	// P is the estimated probability that a response now in this monitor state, at this
	// step, ends with the rule violated.
	P float64
	// Known is false when the state (at this step bucket) never occurred in the training
	// traces; P is then the base rate.
	Known bool
	// Visits is how often the node occurred in the training traces; Traces in how many
	// distinct traces. They are the evidence behind P.
	Visits, Traces int
}

// Predict returns the estimate for monitor state state at step step (0-based event index).
func (f *Forecast) Predict(state, step int) Estimate {
	n, ok := f.index[nodeKey{state, Bucket(step, f.buckets)}]
	if !ok {
		return Estimate{P: f.base}
	}
	return Estimate{P: f.p[n], Known: true, Visits: f.visits[n], Traces: f.traces[n]}
}

// BaseRate returns the Laplace-smoothed share of violated traces, the estimate for unknown
// states.
func (f *Forecast) BaseRate() float64 { return f.base }

// Traces returns the number of traces the forecast was fitted on.
func (f *Forecast) Traces() int { return f.nTraces }
