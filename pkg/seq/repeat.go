package seq

import "fmt"

// Repeat describes a stretch of a stream that repeats itself: stream tokens Start..End-1 have
// period Period (token i equals token i-Period throughout), i.e. Count = (End-Start)/Period
// whole copies of the unit (plus a partial tail).
type Repeat struct {
	Start, End int
	Period     int
	Count      int
}

// RepeatDetector finds self-repetition in a growing token sequence (a response looping). For
// every candidate period p <= maxPeriod it keeps the length run[p] of the current stretch in
// which each token equals the one p positions earlier; a stretch of run[p]+p tokens then has
// period p. Each new token updates all runs with one comparison against a ring of the last
// maxPeriod tokens: O(maxPeriod) time per token and O(maxPeriod) memory, whatever the stream
// length. The smallest qualifying period is reported, so a loop of "a b" is period 2, not 4.
// A RepeatDetector is not safe for concurrent use.
type RepeatDetector struct {
	maxPeriod, minCount, minSpan int
	ring                         []int32
	run                          []int // run[p], p = 1..maxPeriod
	pos                          int
	period, count                int // the repetition being reported (0: none)
}

// RepeatOption configures a RepeatDetector.
type RepeatOption func(*RepeatDetector)

// WithMinCount sets how many whole copies of the unit make a repetition (default 3, least 2).
func WithMinCount(n int) RepeatOption { return func(d *RepeatDetector) { d.minCount = n } }

// WithMinSpan sets the fewest tokens a repetition must cover (default 8), so that short
// natural doublings ("very very") are not reported.
func WithMinSpan(n int) RepeatOption { return func(d *RepeatDetector) { d.minSpan = n } }

// NewRepeatDetector returns a detector for periods 1..maxPeriod. It returns an error matching
// ErrOption if maxPeriod < 1, the minimum count < 2 or the minimum span < 1.
func NewRepeatDetector(maxPeriod int, opts ...RepeatOption) (*RepeatDetector, error) {
	d := &RepeatDetector{maxPeriod: maxPeriod, minCount: 3, minSpan: 8}
	for _, o := range opts {
		o(d)
	}
	if maxPeriod < 1 || d.minCount < 2 || d.minSpan < 1 {
		return nil, fmt.Errorf("%w: repeat detector maxPeriod %d, minCount %d, minSpan %d", ErrOption, maxPeriod, d.minCount, d.minSpan)
	}
	d.ring = make([]int32, maxPeriod)
	d.run = make([]int, maxPeriod+1)
	return d, nil
}

// Reset forgets the stream.
func (d *RepeatDetector) Reset() {
	clear(d.run)
	d.pos, d.period, d.count = 0, 0, 0
}

// Push consumes the next token. It returns the repetition ending at this token and true when a
// repetition is first detected and each time its Count grows; a repetition that continues
// without completing a new copy, or none at all, returns false.
func (d *RepeatDetector) Push(tok int32) (Repeat, bool) {
	i := d.pos
	P := min(d.maxPeriod, i)
	// ring[(i-p) mod maxPeriod] holds token i-p.
	idx := i % d.maxPeriod
	found := 0
	for p := 1; p <= P; p++ {
		j := idx - p
		if j < 0 {
			j += d.maxPeriod
		}
		if d.ring[j] == tok {
			d.run[p]++
			r := d.run[p]
			if found == 0 && (r+p)/p >= d.minCount && r+p >= d.minSpan {
				found = p
			}
		} else {
			d.run[p] = 0
		}
	}
	d.ring[idx] = tok
	d.pos++
	if found == 0 {
		d.period, d.count = 0, 0
		return Repeat{}, false
	}
	rep := d.current(found)
	if found != d.period || rep.Count > d.count {
		d.period, d.count = found, rep.Count
		return rep, true
	}
	return rep, false
}

func (d *RepeatDetector) current(p int) Repeat {
	span := d.run[p] + p
	return Repeat{Start: d.pos - span, End: d.pos, Period: p, Count: span / p}
}

// Current returns the repetition that ends at the latest token, if one qualifies.
func (d *RepeatDetector) Current() (Repeat, bool) {
	if d.period == 0 {
		return Repeat{}, false
	}
	return d.current(d.period), true
}
