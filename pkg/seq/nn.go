package seq

import (
	"math"
	"slices"
)

// Metric selects the distance of nearest-neighbour search and classification.
type Metric uint8

const (
	// MetricDTW is dynamic time warping with the configured window and cost.
	MetricDTW Metric = iota
	// MetricEuclidean is the lock-step Euclidean (Squared) or Manhattan (Absolute) distance;
	// it needs equal lengths.
	MetricEuclidean
)

// String returns "dtw" or "euclidean".
func (m Metric) String() string {
	if m == MetricEuclidean {
		return "euclidean"
	}
	return "dtw"
}

// Index is a set of candidate series prepared for exact 1-nearest-neighbour search: their
// extrema and envelopes are computed once. It is read-only after NewIndex and may be shared by
// many Searchers.
type Index struct {
	cfg          config
	metric       Metric
	series       [][]float64
	ext          []extrema
	upper, lower [][]float64 // envelopes (DTW, equal lengths only)
	equal        bool        // all series have the same length
}

// NewIndex prepares series for search under metric with options WithWindow and WithCost. The
// series are referenced, not copied: do not modify them while the index is in use. It returns
// an error matching ErrEmpty if there are no series or one is empty, ErrNaN if a value is not
// finite, and ErrLength if metric is MetricEuclidean and the lengths differ.
func NewIndex(series [][]float64, metric Metric, opts ...Option) (*Index, error) {
	if len(series) == 0 {
		return nil, ErrEmpty
	}
	ix := &Index{cfg: newConfig(opts), metric: metric, series: series, equal: true}
	ix.ext = make([]extrema, len(series))
	for i, s := range series {
		if err := CheckFinite(s); err != nil {
			return nil, &IndexError{Index: i, Err: err}
		}
		if len(s) != len(series[0]) {
			ix.equal = false
		}
		ix.ext[i] = extremaOf(s)
	}
	if metric == MetricEuclidean && !ix.equal {
		return nil, ErrLength
	}
	if metric == MetricDTW && ix.equal {
		n := len(series[0])
		w := effectiveWindow(ix.cfg.window, n, n)
		buf := make([]float64, 2*n*len(series))
		ix.upper = make([][]float64, len(series))
		ix.lower = make([][]float64, len(series))
		var dq []int
		for i, s := range series {
			ix.upper[i], buf = buf[:n:n], buf[n:]
			ix.lower[i], buf = buf[:n:n], buf[n:]
			dq = Envelope(ix.upper[i], ix.lower[i], s, w, dq)
		}
	}
	return ix, nil
}

// Len returns the number of candidate series.
func (ix *Index) Len() int { return len(ix.series) }

// SearchStats counts how candidates were disposed of, summed over a Searcher's queries.
type SearchStats struct {
	Candidates int // candidate comparisons considered
	PrunedKim  int // rejected by LB_Kim
	PrunedEQ   int // rejected by LB_Keogh of the candidate against the query's envelope
	PrunedEC   int // rejected by LB_Keogh of the query against the candidate's envelope
	Abandoned  int // DTW (or Euclidean) started and abandoned
	Full       int // distance computed to the end
}

// Searcher answers exact 1-NN queries against an Index with the UCR Suite cascade (Rakthanmanon
// et al. 2012): candidates are visited in increasing LB_Keogh order, each is rejected by LB_Kim,
// then by LB_Keogh both ways, and the surviving DTW computations abandon early using the
// cumulative LB_Keogh of the rows still to come. The answer is the same as computing every
// distance in full: a candidate is rejected only when its bound strictly exceeds the best
// distance so far, and equal distances go to the lower index. A Searcher owns scratch buffers
// and is not safe for concurrent use.
type Searcher struct {
	ix       *Index
	dtw      DTW
	qU, qL   []float64
	cEQ, cEC []float64 // per-position LB_Keogh terms
	rest     []float64
	dq       []int
	order    []cand
	stats    SearchStats
}

type cand struct {
	lb float64
	i  int
}

// NewSearcher returns a Searcher over ix.
func (ix *Index) NewSearcher() *Searcher {
	return &Searcher{ix: ix, dtw: DTW{cfg: ix.cfg}}
}

// Stats returns the counts accumulated since the Searcher was created.
func (s *Searcher) Stats() SearchStats { return s.stats }

// slack keeps lower-bound tests on the safe side of rounding: bounds and DTW sums are added in
// different orders, so a bound equal to the true distance may come out an ulp larger.
const slack = 1 + 1e-12

// Nearest returns the index of the candidate nearest to q and its distance in reported units
// (ties go to the lower index). q must be finite; for MetricEuclidean it must have the
// candidates' length, otherwise Nearest returns -1 and +Inf.
func (s *Searcher) Nearest(q []float64) (int, float64) {
	ix := s.ix
	cost := ix.cfg.cost
	if ix.metric == MetricEuclidean {
		if len(q) != len(ix.series[0]) {
			return -1, math.Inf(1)
		}
		best, bsf := -1, math.Inf(1)
		for i, c := range ix.series {
			s.stats.Candidates++
			d := euclideanAcc(q, c, cost, bsf)
			if math.IsInf(d, 1) {
				s.stats.Abandoned++
				continue
			}
			s.stats.Full++
			if d < bsf {
				best, bsf = i, d
			}
		}
		return best, cost.Report(bsf)
	}
	if len(q) == 0 {
		return -1, math.Inf(1)
	}
	n := len(q)
	qe := extremaOf(q)
	keogh := ix.equal && len(ix.series[0]) == n
	bsf := math.Inf(1)
	best := -1
	s.order = s.order[:0]
	if keogh {
		w := effectiveWindow(ix.cfg.window, n, n)
		s.qU, s.qL = grow(s.qU, n), grow(s.qL, n)
		s.cEQ, s.cEC, s.rest = grow(s.cEQ, n), grow(s.cEC, n), grow(s.rest, n+1)
		s.dq = Envelope(s.qU, s.qL, q, w, s.dq)
		// When the diagonal is inside the band, DTW <= lock-step distance, so the smallest
		// Euclidean sum is a valid starting bound that prunes from the first candidate on.
		for _, c := range ix.series {
			bsf = min(bsf, euclideanAcc(q, c, cost, bsf))
		}
		bsf *= slack
		for i, c := range ix.series {
			s.order = append(s.order, cand{LBKeogh(c, s.qU, s.qL, cost, math.Inf(1), nil), i})
		}
		slices.SortFunc(s.order, func(x, y cand) int {
			if x.lb != y.lb {
				if x.lb < y.lb {
					return -1
				}
				return 1
			}
			return x.i - y.i
		})
	} else {
		for i := range ix.series {
			s.order = append(s.order, cand{lbKim(qe, ix.ext[i], cost), i})
		}
	}
	exact := math.Inf(1) // best distance actually computed (bsf may be a looser start bound)
	for k, cd := range s.order {
		i := cd.i
		c := ix.series[i]
		s.stats.Candidates++
		if keogh && cd.lb > bsf*slack {
			// Sorted by this bound: every remaining candidate is also out.
			s.stats.PrunedEQ += len(s.order) - k
			s.stats.Candidates += len(s.order) - k - 1
			break
		}
		if lbKim(qe, ix.ext[i], cost) > bsf*slack {
			s.stats.PrunedKim++
			continue
		}
		var d float64
		if keogh {
			lbEQ := LBKeogh(c, s.qU, s.qL, cost, bsf*slack, s.cEQ)
			if math.IsInf(lbEQ, 1) {
				s.stats.PrunedEQ++
				continue
			}
			lbEC := LBKeogh(q, ix.upper[i], ix.lower[i], cost, bsf*slack, s.cEC)
			if math.IsInf(lbEC, 1) {
				s.stats.PrunedEC++
				continue
			}
			// Rows are the series whose terms gave the tighter bound; rest[i] bounds what rows
			// i+1.. still add.
			rows, other, terms := q, c, s.cEC
			if lbEQ > lbEC {
				rows, other, terms = c, q, s.cEQ
			}
			s.rest[n] = 0
			for r := n - 1; r >= 0; r-- {
				s.rest[r] = s.rest[r+1] + terms[r]
			}
			w := effectiveWindow(ix.cfg.window, n, n)
			d = s.dtw.pruned(rows, other, w, bsf*slack, s.rest)
		} else {
			d = s.dtw.Accumulated(q, c, bsf*slack)
		}
		if math.IsInf(d, 1) {
			s.stats.Abandoned++
			continue
		}
		s.stats.Full++
		if d < exact || (d == exact && i < best) {
			best, exact = i, d
			bsf = min(bsf, d)
		}
	}
	return best, cost.Report(exact)
}

func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}
