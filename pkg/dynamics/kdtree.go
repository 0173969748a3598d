package dynamics

// kdTree indexes the first n points of an embedding for nearest-neighbour queries that
// exclude temporal neighbours (a Theiler window). It keeps its own packed copy of the
// coordinates, permuted into tree order, so that leaf scans read contiguous memory; the
// buffers are reused by reset.
type kdTree struct {
	m     int
	pts   []float64 // coordinates in tree order, m per point
	idx   []int32   // original index of each tree slot
	nodes []kdNode
	// minD2 is the squared distance at or below which two points count as identical:
	// 1e-20 of the points' total variance, i.e. a distance of 1e-10 standard deviations,
	// far below any measurement and above floating-point round-off of repeated values.
	minD2 float64
	lo    []float64 // scratch bounding box during build
	hi    []float64
}

type kdNode struct {
	lo, hi      int32 // slot range [lo, hi)
	left, right int32 // children; left < 0 for a leaf
	dim         int32
	split       float64
}

const kdLeafSize = 8

// reset rebuilds the tree over points 0..n-1 of e.
func (t *kdTree) reset(e Embedding, n int) {
	m := e.m
	t.m = m
	t.pts = grow(t.pts, n*m)
	t.idx = growInt32(t.idx, n)
	for i := 0; i < n; i++ {
		t.idx[i] = int32(i)
		row := t.pts[i*m : i*m+m]
		for c := range row {
			row[c] = e.x[i+c*e.tau]
		}
	}
	var v float64
	if n > 0 {
		_, v = meanVar(e.x[:n+(m-1)*e.tau])
	}
	t.minD2 = 1e-20 * v * float64(m)
	t.nodes = t.nodes[:0]
	t.lo = grow(t.lo, m)
	t.hi = grow(t.hi, m)
	if n > 0 {
		t.build(0, int32(n))
	}
}

func (t *kdTree) build(lo, hi int32) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, left: -1, right: -1})
	if hi-lo <= kdLeafSize {
		return id
	}
	m := t.m
	for c := 0; c < m; c++ {
		t.lo[c], t.hi[c] = t.pts[int(lo)*m+c], t.pts[int(lo)*m+c]
	}
	for p := lo + 1; p < hi; p++ {
		row := t.pts[int(p)*m : int(p)*m+m]
		for c, v := range row {
			if v < t.lo[c] {
				t.lo[c] = v
			} else if v > t.hi[c] {
				t.hi[c] = v
			}
		}
	}
	dim, spread := 0, -1.0
	for c := 0; c < m; c++ {
		if s := t.hi[c] - t.lo[c]; s > spread {
			dim, spread = c, s
		}
	}
	if spread == 0 {
		return id // all points equal: keep one big leaf
	}
	mid := lo + (hi-lo)/2
	t.selectNth(lo, hi, mid, dim)
	split := t.pts[int(mid)*m+dim]
	l := t.build(lo, mid)
	r := t.build(mid, hi)
	t.nodes[id].left, t.nodes[id].right = l, r
	t.nodes[id].dim, t.nodes[id].split = int32(dim), split
	return id
}

// selectNth partially sorts slots [lo, hi) on coordinate dim so that slot k holds the
// k-th smallest value, smaller or equal values before it and larger or equal after it.
func (t *kdTree) selectNth(lo, hi, k int32, dim int) {
	m := t.m
	val := func(p int32) float64 { return t.pts[int(p)*m+dim] }
	hi--
	for hi > lo {
		// Median of three as pivot keeps sorted inputs (common: slowly drifting series) fast.
		mid := lo + (hi-lo)/2
		if val(mid) < val(lo) {
			t.swap(mid, lo)
		}
		if val(hi) < val(lo) {
			t.swap(hi, lo)
		}
		if val(hi) < val(mid) {
			t.swap(hi, mid)
		}
		pivot := val(mid)
		i, j := lo, hi
		for i <= j {
			for val(i) < pivot {
				i++
			}
			for val(j) > pivot {
				j--
			}
			if i <= j {
				t.swap(i, j)
				i++
				j--
			}
		}
		if k <= j {
			hi = j
		} else if k >= i {
			lo = i
		} else {
			return
		}
	}
}

func (t *kdTree) swap(a, b int32) {
	t.idx[a], t.idx[b] = t.idx[b], t.idx[a]
	m := t.m
	ra := t.pts[int(a)*m : int(a)*m+m]
	rb := t.pts[int(b)*m : int(b)*m+m]
	for c := range ra {
		ra[c], rb[c] = rb[c], ra[c]
	}
}

// nearest returns the index and squared distance of the point nearest to q at a non-zero
// distance (above minD2) whose index j satisfies |j-qi| > w (Theiler exclusion; pass qi = -w-1 for
// none). Exact duplicates are skipped because a zero distance carries no information about
// divergence (and its logarithm is -Inf). It returns j = -1 if there is no such point.
func (t *kdTree) nearest(q []float64, qi, w int) (int, float64) {
	if len(t.nodes) == 0 {
		return -1, 0
	}
	s := kdSearch{t: t, q: q, qi: qi, w: w, best: -1, bd: inf}
	s.visit(0)
	return s.best, s.bd
}

type kdSearch struct {
	t     *kdTree
	q     []float64
	qi, w int
	best  int
	bd    float64
}

func (s *kdSearch) visit(id int32) {
	t := s.t
	nd := &t.nodes[id]
	if nd.left < 0 {
		m := t.m
		for p := nd.lo; p < nd.hi; p++ {
			j := int(t.idx[p])
			if d := j - s.qi; d <= s.w && d >= -s.w {
				continue
			}
			row := t.pts[int(p)*m : int(p)*m+m]
			var d2 float64
			for c, v := range row {
				d := v - s.q[c]
				d2 += d * d
				if d2 >= s.bd {
					break
				}
			}
			if d2 > t.minD2 && d2 < s.bd {
				s.bd, s.best = d2, j
			}
		}
		return
	}
	diff := s.q[nd.dim] - nd.split
	near, far := nd.left, nd.right
	if diff > 0 {
		near, far = far, near
	}
	s.visit(near)
	if diff*diff < s.bd {
		s.visit(far)
	}
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func growInt32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}
