package seq

import "math"

// Step is one cell of a warping path: a[I] is aligned with b[J].
type Step struct{ I, J int }

// DTW computes dynamic time warping distances between numeric series. It holds two rolling rows
// that are reused across calls, so a DTW value makes no allocation once its rows have grown to
// the longest series seen. A DTW is not safe for concurrent use; give each goroutine its own.
//
// Inputs are not checked for NaN (the hot path stays branch-free); a NaN in either series makes
// the result NaN or meaningless. Use CheckFinite on external data.
type DTW struct {
	cfg       config
	prev, cur []float64
	mat       []float64 // full matrix, only for Path
}

// NewDTW returns a DTW with the given options (WithWindow, WithCost).
func NewDTW(opts ...Option) *DTW {
	return &DTW{cfg: newConfig(opts)}
}

// Window returns the configured Sakoe–Chiba half-width (negative: unconstrained).
func (d *DTW) Window() int { return d.cfg.window }

// Cost returns the configured cell cost.
func (d *DTW) Cost() Cost { return d.cfg.cost }

func (d *DTW) rows(m int) (prev, cur []float64) {
	if cap(d.prev) < m+1 {
		d.prev = make([]float64, m+1)
		d.cur = make([]float64, m+1)
	}
	return d.prev[:m+1], d.cur[:m+1]
}

// Distance returns the DTW distance between a and b in reported units (the square root of the
// accumulated squared differences for Squared). Two empty series are at distance 0; an empty
// and a non-empty series at +Inf (no warping path exists).
func (d *DTW) Distance(a, b []float64) float64 {
	return d.cfg.cost.Report(d.Accumulated(a, b, math.Inf(1)))
}

// Accumulated returns the accumulated DTW cost (no square root) if it is at most limit, and
// +Inf otherwise. With a finite limit the computation abandons as soon as no cell of a row can
// lead to a total within the limit, and skips cells that already exceed it (pruned DTW); the
// result is exactly the full computation's whenever it is at most limit.
func (d *DTW) Accumulated(a, b []float64, limit float64) float64 {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		if n == m {
			return 0
		}
		return math.Inf(1)
	}
	w := effectiveWindow(d.cfg.window, n, m)
	if math.IsInf(limit, 1) {
		if d.cfg.cost == Absolute {
			return d.fullAbs(a, b, w)
		}
		return d.pairsSq(a, b, w)
	}
	return d.pruned(a, b, w, limit, nil)
}

// pairsSq is the banded squared-cost DP. It computes two rows per sweep over one stored row:
// row r+1 trails row r by one column and takes its "up" and "diag" from registers, so the two
// dependency chains (each cell waits for its left neighbour) overlap. Column 0 is the +Inf
// border; before a pair starts, the stored row is valid on [lo-1, hi+1] of the previous row,
// with +Inf at both ends. The arithmetic is the textbook recurrence, cell for cell.
func (d *DTW) pairsSq(a, b []float64, w int) float64 {
	n, m := len(a), len(b)
	prev, cur := d.rows(m)
	inf := math.Inf(1)
	prev[0] = 0
	for j := 1; j <= m; j++ {
		prev[j] = inf
	}
	b = b[:m]
	r := 1
	for ; r+1 <= n; r += 2 {
		x1, x2 := a[r-1], a[r]
		lo1, hi1 := max(1, r-w), min(m, r+w)
		lo2, hi2 := max(1, r+1-w), min(m, r+1+w)
		pr := prev[:m+1]
		diag1, left1 := pr[lo1-1], inf
		p1, p2 := inf, inf // row r at the previous two columns
		j := lo1
		// Row r alone until row r+1's first column lies behind it.
		for ; j <= lo2 && j <= hi1; j++ {
			up1 := pr[j]
			mn := diag1
			if up1 < mn {
				mn = up1
			}
			if left1 < mn {
				mn = left1
			}
			t := x1 - b[j-1]
			v1 := t*t + mn
			p2, p1 = p1, v1
			diag1, left1 = up1, v1
		}
		pr[lo2-1] = inf
		left2 := inf
		for ; j <= hi1; j++ {
			up1 := pr[j]
			mn := diag1
			if up1 < mn {
				mn = up1
			}
			if left1 < mn {
				mn = left1
			}
			t1 := x1 - b[j-1]
			v1 := t1*t1 + mn
			mn2 := p2
			if p1 < mn2 {
				mn2 = p1
			}
			if left2 < mn2 {
				mn2 = left2
			}
			t2 := x2 - b[j-2]
			v2 := t2*t2 + mn2
			pr[j-1] = v2
			left2 = v2
			p2, p1 = p1, v1
			diag1, left1 = up1, v1
		}
		// Row r+1's last columns: hi1 (up and diag in row r) and hi1+1 (diag only).
		if hi1 >= lo2 {
			mn2 := p2
			if p1 < mn2 {
				mn2 = p1
			}
			if left2 < mn2 {
				mn2 = left2
			}
			t2 := x2 - b[hi1-1]
			left2 = t2*t2 + mn2
			pr[hi1] = left2
		}
		if hi2 > hi1 {
			mn2 := p1
			if left2 < mn2 {
				mn2 = left2
			}
			t2 := x2 - b[hi1]
			pr[hi1+1] = t2*t2 + mn2
		}
		if hi2 < m {
			pr[hi2+1] = inf
		}
	}
	if r > n {
		return prev[m]
	}
	// One row left (odd n).
	lo, hi := max(1, r-w), min(m, r+w)
	x := a[r-1]
	left, diag := inf, prev[lo-1]
	for j := lo; j <= hi; j++ {
		up := prev[j]
		mn := diag
		if up < mn {
			mn = up
		}
		if left < mn {
			mn = left
		}
		t := x - b[j-1]
		left = t*t + mn
		cur[j] = left
		diag = up
	}
	return cur[m]
}

// fullAbs is the plain banded DP with absolute cost: two rows, 1-based columns, column 0 is the
// +Inf border, and cell hi+1 of each row is set to +Inf because the next row reads it as "up".
func (d *DTW) fullAbs(a, b []float64, w int) float64 {
	n, m := len(a), len(b)
	prev, cur := d.rows(m)
	inf := math.Inf(1)
	prev[0] = 0
	for j := 1; j <= m; j++ {
		prev[j] = inf
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-w), min(m, i+w)
		cur[lo-1] = inf
		x := a[i-1]
		pr := prev[lo-1 : hi+1]
		cr := cur[lo : hi+1]
		bb := b[lo-1 : hi]
		_ = pr[len(cr)]
		_ = bb[len(cr)-1]
		left := inf
		diag := pr[0]
		for k := range cr {
			up := pr[k+1]
			mn := diag
			if up < mn {
				mn = up
			}
			if left < mn {
				mn = left
			}
			t := x - bb[k]
			if t < 0 {
				t = -t
			}
			v := t + mn
			cr[k] = v
			left = v
			diag = up
		}
		if hi < m {
			cur[hi+1] = inf
		}
		prev, cur = cur, prev
	}
	return prev[m]
}

// pruned is the early-abandoning DP. Each row keeps only the range of columns [ps, pe] whose
// cells are within the threshold; cells outside it are treated as +Inf by the next row, which
// starts at ps and stops once its left neighbour is over the threshold past pe+1 (the idea of
// PrunedDTW, Silva & Batista 2016, and EAPrunedDTW, Herrmann & Webb 2021). Pruning a cell above
// the threshold cannot change a total that ends within it, because costs are non-negative.
//
// rest, when not nil, has len(a)+1 entries: rest[i] is a lower bound on the cost rows
// i+1..n (a[i:]) will add (cumulative LB_Keogh, UCR Suite), so row i may stop at limit-rest[i].
func (d *DTW) pruned(a, b []float64, w int, limit float64, rest []float64) float64 {
	n, m := len(a), len(b)
	prev, cur := d.rows(m)
	inf := math.Inf(1)
	sq := d.cfg.cost == Squared
	prev[0] = 0
	ps, pe := 0, 0
	for i := 1; i <= n; i++ {
		thr := limit
		if rest != nil {
			thr = limit - rest[i]
		}
		lo, hi := max(1, i-w), min(m, i+w)
		j := max(lo, ps)
		if j > pe+1 || j > hi {
			return inf
		}
		x := a[i-1]
		left := inf
		diag := inf
		if j-1 >= ps {
			diag = prev[j-1]
		}
		ns, ne := -1, -1
		// Columns with both "up" and "diag" in the previous row's live range.
		for end := min(hi, pe); j <= end; j++ {
			up := prev[j]
			mn := diag
			if up < mn {
				mn = up
			}
			if left < mn {
				mn = left
			}
			t := x - b[j-1]
			if sq {
				t *= t
			} else if t < 0 {
				t = -t
			}
			v := t + mn
			cur[j] = v
			left = v
			diag = up
			if v <= thr {
				if ns < 0 {
					ns = j
				}
				ne = j
			}
		}
		// Past the live range only "diag" (once) and "left" remain.
		for ; j <= hi; j++ {
			mn := left
			if j == pe+1 && diag < mn {
				mn = diag
			}
			if mn > thr {
				break
			}
			t := x - b[j-1]
			if sq {
				t *= t
			} else if t < 0 {
				t = -t
			}
			v := t + mn
			cur[j] = v
			left = v
			if v <= thr {
				if ns < 0 {
					ns = j
				}
				ne = j
			}
		}
		if ns < 0 {
			return inf
		}
		ps, pe = ns, ne
		prev, cur = cur, prev
	}
	if pe != m || prev[m] > limit {
		return inf
	}
	return prev[m]
}

// Path returns the DTW distance (reported units) and an optimal warping path, appended to dst,
// from (0,0) to (len(a)-1, len(b)-1). It fills a full (len(a)+1)×(len(b)+1) matrix held by d,
// so it costs O(len(a)·len(b)) memory; use Distance when the path is not needed. On ties the
// traceback prefers the diagonal, then the step that shortens a, then b. Empty inputs yield an
// empty path.
func (d *DTW) Path(dst []Step, a, b []float64) (float64, []Step) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		if n == m {
			return 0, dst
		}
		return math.Inf(1), dst
	}
	w := effectiveWindow(d.cfg.window, n, m)
	cols := m + 1
	if cap(d.mat) < (n+1)*cols {
		d.mat = make([]float64, (n+1)*cols)
	}
	D := d.mat[:(n+1)*cols]
	inf := math.Inf(1)
	for k := range D {
		D[k] = inf
	}
	D[0] = 0
	c := d.cfg.cost
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-w), min(m, i+w)
		for j := lo; j <= hi; j++ {
			mn := D[(i-1)*cols+j-1]
			if v := D[(i-1)*cols+j]; v < mn {
				mn = v
			}
			if v := D[i*cols+j-1]; v < mn {
				mn = v
			}
			D[i*cols+j] = c.cell(a[i-1], b[j-1]) + mn
		}
	}
	start := len(dst)
	i, j := n, m
	for {
		dst = append(dst, Step{i - 1, j - 1})
		if i == 1 && j == 1 {
			break
		}
		diag, up, left := D[(i-1)*cols+j-1], D[(i-1)*cols+j], D[i*cols+j-1]
		switch {
		case diag <= up && diag <= left:
			i, j = i-1, j-1
		case up <= left:
			i--
		default:
			j--
		}
	}
	p := dst[start:]
	for l, r := 0, len(p)-1; l < r; l, r = l+1, r-1 {
		p[l], p[r] = p[r], p[l]
	}
	return c.Report(D[n*cols+m]), dst
}

// CheckFinite returns an error matching ErrNaN if x holds NaN or ±Inf, and ErrEmpty if x is
// empty.
func CheckFinite(x []float64) error {
	if len(x) == 0 {
		return ErrEmpty
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &IndexError{Index: i, Err: ErrNaN}
		}
	}
	return nil
}

// IndexError names the element of an input that is wrong.
type IndexError struct {
	Index int
	Err   error
}

func (e *IndexError) Error() string { return "seq: element " + itoa(e.Index) + ": " + e.Err.Error() }
func (e *IndexError) Unwrap() error { return e.Err }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	p := len(buf)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		p--
		buf[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		buf[p] = '-'
	}
	return string(buf[p:])
}

// Euclidean returns the Euclidean distance (Squared: square root of the sum of squared
// differences) or Manhattan distance (Absolute) between equal-length series. It panics if the
// lengths differ.
func Euclidean(a, b []float64, cost Cost) float64 {
	return cost.Report(euclideanAcc(a, b, cost, math.Inf(1)))
}

// euclideanAcc accumulates the cost and abandons (returns +Inf) once it exceeds limit.
func euclideanAcc(a, b []float64, cost Cost, limit float64) float64 {
	if len(a) != len(b) {
		panic("seq: Euclidean: length mismatch")
	}
	b = b[:len(a)]
	s := 0.0
	for i, x := range a {
		t := x - b[i]
		if cost == Absolute {
			s += math.Abs(t)
		} else {
			s += t * t
		}
		if s > limit {
			return math.Inf(1)
		}
	}
	return s
}

// ZNormalize writes (x - mean) / std of x into dst (population standard deviation, as the UCR
// archive) and returns it; dst may be x. It returns an error matching ErrConstant if x is
// constant (std 0), ErrNaN if x is not finite, and ErrEmpty if x is empty. A nil dst is
// allocated; otherwise it panics if len(dst) < len(x).
func ZNormalize(dst, x []float64) ([]float64, error) {
	if err := CheckFinite(x); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = make([]float64, len(x))
	}
	if len(dst) < len(x) {
		panic("seq: ZNormalize: dst too short")
	}
	dst = dst[:len(x)]
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / float64(len(x)))
	if std == 0 {
		return nil, ErrConstant
	}
	if math.IsInf(std, 0) {
		return nil, ErrNaN
	}
	for i, v := range x {
		dst[i] = (v - mean) / std
	}
	return dst, nil
}
