package dynamics

// Embedding is the delay reconstruction of a scalar series: point i has coordinates
// (x[i], x[i+τ], ..., x[i+(m-1)τ]). It is a view: it holds the caller's slice and copies
// nothing, so the series must not change while the embedding is in use.
type Embedding struct {
	x      []float64
	m, tau int
	n      int // number of points
}

// NewEmbedding returns the m-dimensional delay embedding of x with delay tau.
// It fails with ErrParam if m < 1 or tau < 1 and with ErrTooShort if x has no complete point.
func NewEmbedding(x []float64, m, tau int) (Embedding, error) {
	if m < 1 {
		return Embedding{}, &ParamError{Name: "dimension", Value: m, Why: "must be at least 1"}
	}
	if tau < 1 {
		return Embedding{}, &ParamError{Name: "delay", Value: tau, Why: "must be at least 1"}
	}
	n := len(x) - (m-1)*tau
	if n < 1 {
		return Embedding{}, &SeriesError{Index: -1, N: len(x), Need: (m-1)*tau + 1, Err: ErrTooShort}
	}
	return Embedding{x: x, m: m, tau: tau, n: n}, nil
}

// Len returns the number of embedded points, len(x) - (m-1)τ.
func (e Embedding) Len() int { return e.n }

// Dim returns the embedding dimension m.
func (e Embedding) Dim() int { return e.m }

// Delay returns the delay τ in samples.
func (e Embedding) Delay() int { return e.tau }

// Series returns the underlying series (not a copy).
func (e Embedding) Series() []float64 { return e.x }

// At returns coordinate j of point i. It panics if i or j is out of range.
func (e Embedding) At(i, j int) float64 {
	if uint(i) >= uint(e.n) || uint(j) >= uint(e.m) {
		panic("dynamics: embedding index out of range")
	}
	return e.x[i+j*e.tau]
}

// Point copies point i into dst (allocating if dst is nil) and returns it.
// It panics if len(dst) != Dim() for a non-nil dst or if i is out of range.
func (e Embedding) Point(dst []float64, i int) []float64 {
	if dst == nil {
		dst = make([]float64, e.m)
	}
	if len(dst) != e.m {
		panic("dynamics: destination length differs from the dimension")
	}
	if uint(i) >= uint(e.n) {
		panic("dynamics: embedding index out of range")
	}
	for j := range dst {
		dst[j] = e.x[i+j*e.tau]
	}
	return dst
}

// Dist2 returns the squared Euclidean distance between points i and j.
func (e Embedding) Dist2(i, j int) float64 {
	var s float64
	for c := 0; c < e.m; c++ {
		d := e.x[i+c*e.tau] - e.x[j+c*e.tau]
		s += d * d
	}
	return s
}
