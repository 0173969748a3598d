package sched

import (
	"math"
	"math/bits"
	"time"
)

// Wait times are recorded in a fixed log-linear histogram: values below 16 ns exactly, above
// that 8 buckets per power of two, up to 2^44 ns (about 4.9 hours; larger values fall into the
// last bucket). A quantile is reported as the midpoint of the bucket holding the exact order
// statistic, so its relative error is at most 1/16 (6.25 %): a bucket [lo, lo+w) has
// w ≤ lo/8. Recording is two shifts and an increment; a snapshot scans 336 counters.
const (
	histLinear = 16
	histSub    = 8
	histMaxExp = 43
	histN      = histLinear + (histMaxExp-4+1)*histSub
)

// HistRelErr is the largest relative error of a wait-time quantile in Stats.
const HistRelErr = 1.0 / 16

func histIndex(v int64) int {
	if v < histLinear {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1
	if e > histMaxExp {
		return histN - 1
	}
	return histLinear + (e-4)*histSub + int((v>>(e-3))&(histSub-1))
}

// histBounds returns the bucket's [lo, hi).
func histBounds(i int) (lo, hi int64) {
	if i < histLinear {
		return int64(i), int64(i) + 1
	}
	i -= histLinear
	e := i/histSub + 4
	sub := int64(i % histSub)
	w := int64(1) << (e - 3)
	lo = int64(1)<<e + sub*w
	return lo, lo + w
}

type hist struct {
	b   [histN]uint64
	n   uint64
	sum float64
	max int64
}

func (h *hist) add(v int64) {
	if v < 0 {
		v = 0
	}
	h.b[histIndex(v)]++
	h.n++
	h.sum += float64(v)
	if v > h.max {
		h.max = v
	}
}

// WaitStats summarises wait times: from submission (or the item's release time, if later)
// to release. Quantiles carry a relative error of at most HistRelErr.
type WaitStats struct {
	Count uint64
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration
}

var quantiles = [...]float64{0.5, 0.9, 0.99, 0.999}

// summary computes all quantiles in one pass over the buckets.
func (h *hist) summary() WaitStats {
	ws := WaitStats{Count: h.n, Max: time.Duration(h.max)}
	if h.n == 0 {
		return ws
	}
	ws.Mean = time.Duration(h.sum / float64(h.n))
	var out [len(quantiles)]time.Duration
	var ranks [len(quantiles)]uint64
	for i, q := range quantiles {
		ranks[i] = uint64(math.Ceil(q * float64(h.n)))
		if ranks[i] < 1 {
			ranks[i] = 1
		}
	}
	var cum uint64
	k := 0
	for i := 0; i < histN && k < len(quantiles); i++ {
		cum += h.b[i]
		for k < len(quantiles) && cum >= ranks[k] {
			lo, hi := histBounds(i)
			mid := lo + (hi-lo)/2
			if hi-lo == 1 {
				mid = lo
			}
			out[k] = time.Duration(min(mid, h.max))
			k++
		}
	}
	ws.P50, ws.P90, ws.P99, ws.P999 = out[0], out[1], out[2], out[3]
	return ws
}
