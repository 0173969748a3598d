package seq

import "math"

// Envelope writes the Sakoe–Chiba envelope of x for half-width w into upper and lower:
// upper[i] = max(x[i-w..i+w]), lower[i] = min(x[i-w..i+w]) (clipped to x). A negative w means
// the whole series. It runs in O(len(x)) with monotone deques (Lemire 2009) and allocates only
// when dq is too short; it returns the (possibly grown) deque for reuse. It panics if upper or
// lower is shorter than x.
func Envelope(upper, lower, x []float64, w int, dq []int) []int {
	n := len(x)
	if len(upper) < n || len(lower) < n {
		panic("seq: Envelope: destination too short")
	}
	if n == 0 {
		return dq
	}
	if w < 0 || w >= n {
		lo, hi := x[0], x[0]
		for _, v := range x {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for i := range n {
			upper[i], lower[i] = hi, lo
		}
		return dq
	}
	if cap(dq) < 2*n {
		dq = make([]int, 2*n)
	}
	dq = dq[:2*n]
	// Two deques of indices in one buffer; maxima decreasing, minima increasing.
	mx, mn := dq[:n], dq[n:]
	mxH, mxT, mnH, mnT := 0, 0, 0, 0
	for i := 0; i < n+w; i++ {
		if i < n {
			for mxT > mxH && x[mx[mxT-1]] <= x[i] {
				mxT--
			}
			mx[mxT] = i
			mxT++
			for mnT > mnH && x[mn[mnT-1]] >= x[i] {
				mnT--
			}
			mn[mnT] = i
			mnT++
		}
		c := i - w // centre whose window [c-w, c+w] is complete
		if c < 0 {
			continue
		}
		for mx[mxH] < c-w {
			mxH++
		}
		for mn[mnH] < c-w {
			mnH++
		}
		upper[c], lower[c] = x[mx[mxH]], x[mn[mnH]]
	}
	return dq
}

// LBKim returns a lower bound on the accumulated DTW cost of a and b (any window): the larger
// of the cost of the first plus the last pair of points, which every warping path contains, and
// the costs between the two maxima and between the two minima (Kim, Park & Chu 2001; the
// first/last form is UCR Suite's LB_KimFL). It is O(len) because of the extrema; the nearest-
// neighbour search precomputes them. It returns 0 if either series is empty.
func LBKim(a, b []float64, cost Cost) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	ea, eb := extremaOf(a), extremaOf(b)
	return lbKim(ea, eb, cost)
}

type extrema struct {
	first, last, lo, hi float64
	single              bool
}

func extremaOf(x []float64) extrema {
	e := extrema{first: x[0], last: x[len(x)-1], lo: x[0], hi: x[0], single: len(x) == 1}
	for _, v := range x {
		e.lo, e.hi = math.Min(e.lo, v), math.Max(e.hi, v)
	}
	return e
}

func lbKim(a, b extrema, cost Cost) float64 {
	fl := cost.cell(a.first, b.first)
	if !(a.single && b.single) {
		fl += cost.cell(a.last, b.last)
	}
	return max(fl, cost.cell(a.hi, b.hi), cost.cell(a.lo, b.lo))
}

// LBKeogh returns the LB_Keogh lower bound (Keogh & Ratanamahatana 2005) on the accumulated DTW
// cost between q and a series whose envelope (for the same window) is upper/lower: the cost of
// each q[i] to the nearest edge of [lower[i], upper[i]] when outside it. It is valid only for
// series of equal length. If contrib is not nil, contrib[i] receives the term of q[i]
// (len(contrib) >= len(q)). The sum stops early, returning +Inf, once it exceeds limit.
// It panics if upper or lower is shorter than q.
func LBKeogh(q, upper, lower []float64, cost Cost, limit float64, contrib []float64) float64 {
	n := len(q)
	upper, lower = upper[:n], lower[:n]
	s := 0.0
	for i, v := range q {
		t := 0.0
		if v > upper[i] {
			t = cost.cell(v, upper[i])
		} else if v < lower[i] {
			t = cost.cell(v, lower[i])
		}
		if contrib != nil {
			contrib[i] = t
		}
		s += t
		if s > limit {
			return math.Inf(1)
		}
	}
	return s
}
