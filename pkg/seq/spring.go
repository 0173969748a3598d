package seq

import (
	"fmt"
	"math"
)

// SpringMatch is a subsequence of the stream matched by Spring: points Start..End-1 (0-based
// positions in the stream), at DTW distance Distance (reported units) from the query.
type SpringMatch struct {
	Start, End int
	Distance   float64
}

// Spring finds, in a stream of numbers, the subsequences whose unconstrained DTW distance to a
// query is within a threshold (SPRING, Sakurai, Faloutsos & Yamamuro, ICDE 2007). It keeps
// one DP column over the query with the start position of each cell's best path ("star
// padding": a match may start at any point), so each new point costs O(len(query)) time and
// nothing is rescanned. Among overlapping qualifying subsequences it reports the one with the
// smallest distance, as soon as no later point can produce a better overlapping one; reported
// matches do not overlap, and every qualifying subsequence overlaps a reported match at least
// as close (no false dismissals). A Spring is not safe for concurrent use.
type Spring struct {
	query  []float64
	cost   Cost
	eps    float64 // threshold, accumulated units
	d, dp  []float64
	s, sp  []int
	t      int
	dmin   float64
	ts, te int
}

// NewSpring returns a matcher for query with threshold in reported units (for Squared the
// square root of the accumulated squared differences). WithCost applies; WithWindow does not
// (SPRING's matches are unconstrained). It returns an error matching ErrEmpty or ErrNaN for a
// bad query and ErrOption for a negative or NaN threshold.
func NewSpring(query []float64, threshold float64, opts ...Option) (*Spring, error) {
	if err := CheckFinite(query); err != nil {
		return nil, fmt.Errorf("spring query: %w", err)
	}
	if !(threshold >= 0) {
		return nil, fmt.Errorf("%w: spring threshold %v", ErrOption, threshold)
	}
	cfg := newConfig(opts)
	m := len(query)
	sp := &Spring{
		query: append([]float64(nil), query...),
		cost:  cfg.cost,
		eps:   cfg.cost.Accumulated(threshold),
		d:     make([]float64, m+1),
		dp:    make([]float64, m+1),
		s:     make([]int, m+1),
		sp:    make([]int, m+1),
	}
	sp.Reset()
	return sp, nil
}

// Reset forgets the stream; the next point is position 0.
func (sp *Spring) Reset() {
	for i := range sp.dp {
		sp.dp[i] = math.Inf(1)
	}
	sp.t = 0
	sp.dmin = math.Inf(1)
}

// Push consumes the next point of the stream and appends the matches it confirms to dst.
// A NaN point makes every path through it NaN, which never qualifies.
func (sp *Spring) Push(dst []SpringMatch, x float64) []SpringMatch {
	m := len(sp.query)
	d, dp, s, ps := sp.d, sp.dp, sp.s, sp.sp
	t := sp.t
	d[0], s[0] = 0, t
	for i := 1; i <= m; i++ {
		// Predecessors: (t, i-1), (t-1, i-1), (t-1, i); ties prefer the later start.
		best, start := d[i-1], s[i-1]
		if dp[i-1] < best {
			best, start = dp[i-1], ps[i-1]
		}
		if dp[i] < best {
			best, start = dp[i], ps[i]
		}
		d[i] = sp.cost.cell(x, sp.query[i-1]) + best
		s[i] = start
	}
	if sp.dmin <= sp.eps {
		// The candidate is final once every live path either costs at least as much or starts
		// after it ends.
		done := true
		for i := 1; i <= m; i++ {
			if d[i] < sp.dmin && s[i] <= sp.te {
				done = false
				break
			}
		}
		if done {
			dst = append(dst, SpringMatch{sp.ts, sp.te + 1, sp.cost.Report(sp.dmin)})
			sp.dmin = math.Inf(1)
			for i := 1; i <= m; i++ {
				if s[i] <= sp.te {
					d[i] = math.Inf(1)
				}
			}
		}
	}
	if d[m] <= sp.eps && d[m] < sp.dmin {
		sp.dmin, sp.ts, sp.te = d[m], s[m], t
	}
	sp.d, sp.dp, sp.s, sp.sp = dp, d, ps, s
	sp.t++
	return dst
}

// Flush reports the pending candidate, if any, as the stream has ended.
func (sp *Spring) Flush(dst []SpringMatch) []SpringMatch {
	if sp.dmin <= sp.eps {
		dst = append(dst, SpringMatch{sp.ts, sp.te + 1, sp.cost.Report(sp.dmin)})
		sp.dmin = math.Inf(1)
	}
	return dst
}
