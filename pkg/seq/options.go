package seq

import "math"

// Cost selects the per-cell cost of numeric DTW and Euclidean distance.
type Cost uint8

const (
	// Squared accumulates squared differences and reports the square root of the sum, the
	// convention of dtaidistance, tslearn and the UCR archive.
	Squared Cost = iota
	// Absolute accumulates absolute differences and reports the sum.
	Absolute
)

// String returns "sq" or "abs".
func (c Cost) String() string {
	if c == Absolute {
		return "abs"
	}
	return "sq"
}

// Report turns an accumulated cost into the reported distance (square root for Squared).
func (c Cost) Report(acc float64) float64 {
	if c == Absolute {
		return acc
	}
	return math.Sqrt(acc)
}

// Accumulated turns a reported distance back into accumulated units (square for Squared).
func (c Cost) Accumulated(dist float64) float64 {
	if c == Absolute {
		return dist
	}
	return dist * dist
}

func (c Cost) cell(x, y float64) float64 {
	d := x - y
	if c == Absolute {
		return math.Abs(d)
	}
	return d * d
}

// Option configures DTW, nearest-neighbour search, SPRING and the classifiers.
type Option func(*config)

type config struct {
	window int // Sakoe–Chiba half-width; < 0 means unconstrained
	cost   Cost
}

func newConfig(opts []Option) config {
	c := config{window: -1, cost: Squared}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithWindow sets the Sakoe–Chiba band: cell (i, j) is allowed when |i-j| <= w. A negative w
// means no constraint (the default). When the lengths differ by more than w the band is widened
// to |len(a)-len(b)| so that a warping path exists (the dtaidistance rule).
func WithWindow(w int) Option { return func(c *config) { c.window = w } }

// WithCost sets the cell cost (default Squared).
func WithCost(cost Cost) Option { return func(c *config) { c.cost = cost } }

// effectiveWindow returns the half-width actually used for lengths n and m; a result >= max(n,m)
// means unconstrained.
func effectiveWindow(w, n, m int) int {
	big := max(n, m)
	if w < 0 || w >= big {
		return big
	}
	return max(w, abs(n-m))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
