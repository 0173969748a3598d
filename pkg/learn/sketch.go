package learn

import (
	"fmt"
	"math"
)

// Sketch is a DDSketch (Masson, Rim & Lee, "DDSketch: a fast and fully-mergeable quantile
// sketch with relative-error guarantees", VLDB 2019): values fall into logarithmic buckets
// [γ^(i-1), γ^i) with γ = (1+α)/(1-α), and a quantile is answered with the bucket's midpoint
// 2γ^i/(γ+1). Every returned quantile x̂ of a true rank-q value x satisfies |x̂-x| ≤ α|x|, as long
// as the bucket holding x has not been collapsed. Memory is bounded by maxBins buckets per sign;
// when exceeded, the lowest-magnitude buckets are merged into one, so the guarantee then holds
// for quantiles above the collapsed range only (Collapsed reports whether this happened).
//
// The zero value is not usable; call NewSketch. A Sketch is not safe for concurrent use.
type Sketch struct {
	alpha      float64
	gamma      float64
	invLnGamma float64
	minPos     float64 // smallest positive magnitude indexed; smaller ones count as zero
	maxBins    int
	pos, neg   binStore
	zero       uint64
	count      uint64
	sum        float64
	min, max   float64
}

// binStore is a dense run of bucket counters covering indexes [offset, offset+len(bins)).
type binStore struct {
	bins      []uint64
	offset    int
	collapsed bool
}

// DefaultAlpha is the sketch's default relative accuracy (1%).
const DefaultAlpha = 0.01

// DefaultMaxBins bounds each sign's bucket count; with α = 1% it spans magnitudes over a ratio
// of about γ^2048 ≈ 6·10^17, which covers every signal midstream records without collapsing.
const DefaultMaxBins = 2048

// NewSketch returns a sketch with relative accuracy alpha (0 < alpha < 1) and at most maxBins
// buckets per sign (maxBins ≥ 16). It panics on other values: they are programming errors.
func NewSketch(alpha float64, maxBins int) *Sketch {
	if !(alpha > 0 && alpha < 1) || maxBins < 16 {
		panic(fmt.Sprintf("learn: NewSketch(%v, %d): need 0 < alpha < 1 and maxBins >= 16", alpha, maxBins))
	}
	g := (1 + alpha) / (1 - alpha)
	return &Sketch{
		alpha:      alpha,
		gamma:      g,
		invLnGamma: 1 / math.Log(g),
		minPos:     1e-300,
		maxBins:    maxBins,
		min:        math.Inf(1),
		max:        math.Inf(-1),
	}
}

// Alpha returns the sketch's relative accuracy.
func (s *Sketch) Alpha() float64 { return s.alpha }

// Count returns the number of values added.
func (s *Sketch) Count() uint64 { return s.count }

// Mean returns the exact mean of the values added, NaN if none.
func (s *Sketch) Mean() float64 {
	if s.count == 0 {
		return math.NaN()
	}
	return s.sum / float64(s.count)
}

// Min and Max return the exact extremes, NaN if the sketch is empty.
func (s *Sketch) Min() float64 {
	if s.count == 0 {
		return math.NaN()
	}
	return s.min
}

// Max returns the exact largest value added, NaN if the sketch is empty.
func (s *Sketch) Max() float64 {
	if s.count == 0 {
		return math.NaN()
	}
	return s.max
}

// Collapsed reports whether memory bounds forced low-magnitude buckets to merge; quantiles that
// fall in the merged range are then only bounded above by it.
func (s *Sketch) Collapsed() bool { return s.pos.collapsed || s.neg.collapsed }

func (s *Sketch) index(v float64) int {
	return int(math.Ceil(math.Log(v) * s.invLnGamma))
}

func (s *Sketch) value(i int) float64 {
	return 2 * math.Pow(s.gamma, float64(i)) / (s.gamma + 1)
}

// Add records v. NaN and infinities are ignored (they have no bucket) and reported false.
func (s *Sketch) Add(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	s.count++
	s.sum += v
	if v < s.min {
		s.min = v
	}
	if v > s.max {
		s.max = v
	}
	switch {
	case v > s.minPos:
		s.pos.add(s.index(v), 1, s.maxBins)
	case v < -s.minPos:
		s.neg.add(s.index(-v), 1, s.maxBins)
	default:
		s.zero++
	}
	return true
}

// add counts n values in bucket i, keeping at most maxBins buckets: values below the window
// join its lowest bucket, and a value above it shifts the window up, merging the buckets that
// fall off the bottom into the new lowest one.
func (b *binStore) add(i int, n uint64, maxBins int) {
	if len(b.bins) == 0 {
		b.bins = append(b.bins[:0], n)
		b.offset = i
		return
	}
	if i < b.offset {
		grow := b.offset - i
		if len(b.bins)+grow > maxBins {
			grow = maxBins - len(b.bins)
			b.collapsed = true
		}
		if grow > 0 {
			nb := make([]uint64, len(b.bins)+grow, max(2*cap(b.bins), len(b.bins)+grow))
			copy(nb[grow:], b.bins)
			b.bins = nb
			b.offset -= grow
		}
		if i < b.offset {
			b.bins[0] += n
			return
		}
		b.bins[i-b.offset] += n
		return
	}
	j := i - b.offset
	if j >= maxBins {
		shift := j - maxBins + 1
		var merged uint64
		for k := 0; k <= shift && k < len(b.bins); k++ {
			merged += b.bins[k]
		}
		if shift < len(b.bins) {
			b.bins = append(b.bins[:0], b.bins[shift:]...)
		} else {
			b.bins = b.bins[:1]
		}
		b.bins[0] = merged
		b.offset += shift
		b.collapsed = true
		j = i - b.offset
	}
	for len(b.bins) <= j {
		b.bins = append(b.bins, 0)
	}
	b.bins[j] += n
}

// Quantile returns the estimated q-quantile (0 ≤ q ≤ 1) of the values added: the value of
// rank ⌊q(n-1)⌋ in sorted order, within relative error Alpha. It returns an error wrapping
// ErrNumeric if the sketch is empty and ErrInvalid if q is outside [0, 1].
func (s *Sketch) Quantile(q float64) (float64, error) {
	if !(q >= 0 && q <= 1) {
		return 0, &InputError{Field: "quantile", Reason: fmt.Sprintf("%v not in [0, 1]", q)}
	}
	if s.count == 0 {
		return 0, fmt.Errorf("%w: quantile of an empty sketch", ErrNumeric)
	}
	rank := uint64(q * float64(s.count-1))
	var est float64
	var seen uint64
	found := false
	// Negative values: the highest magnitude is the smallest value.
	for k := len(s.neg.bins) - 1; k >= 0; k-- {
		seen += s.neg.bins[k]
		if seen > rank {
			est = -s.value(k + s.neg.offset)
			found = true
			break
		}
	}
	if !found {
		seen += s.zero
		if seen > rank {
			est, found = 0, true
		}
	}
	if !found {
		est = s.max
		for k, c := range s.pos.bins {
			seen += c
			if seen > rank {
				est = s.value(k + s.pos.offset)
				break
			}
		}
	}
	// The extremes are exact, and clamping can only reduce the error.
	return min(max(est, s.min), s.max), nil
}

// Merge adds o's values into s. Both must have the same alpha; Merge panics otherwise.
func (s *Sketch) Merge(o *Sketch) {
	if o.alpha != s.alpha {
		panic("learn: Sketch.Merge of sketches with different alpha")
	}
	if o.count == 0 {
		return
	}
	for k, c := range o.pos.bins {
		if c > 0 {
			s.pos.add(k+o.pos.offset, c, s.maxBins)
		}
	}
	for k, c := range o.neg.bins {
		if c > 0 {
			s.neg.add(k+o.neg.offset, c, s.maxBins)
		}
	}
	s.pos.collapsed = s.pos.collapsed || o.pos.collapsed
	s.neg.collapsed = s.neg.collapsed || o.neg.collapsed
	s.zero += o.zero
	s.count += o.count
	s.sum += o.sum
	s.min = min(s.min, o.min)
	s.max = max(s.max, o.max)
}
