package learn

import (
	"fmt"
	"math/bits"
	"slices"
)

// PatternMiner finds token n-grams that precede violations more often than they occur in
// responses without one. It keeps two Space-Saving summaries of per-response n-gram presence
// (document counts): one over the Window tokens before each response's first flagged verdict,
// one over the last Window tokens of each response without a flagged verdict, so both sides
// count windows of the same length. Memory is bounded by 2·Counters n-grams whatever the stream
// length.
//
// Error guarantee: with V violating and B benign windows, a mined pattern's violating count is
// known within [Count-Err, Count] with Err ≤ V/Counters, and its benign count is bounded above by
// its counter (or the summary's minimum if untracked), at most its true count + B/Counters. Any
// n-gram present in more than a fraction 1/Counters of the violating windows is tracked. Keys
// are 64-bit hashes of the n-gram; two distinct n-grams among m collide with probability about
// m²/2^65, negligible at these sizes.
//
// Patterns reports an n-gram as predictive when it occurred in at least MinCount violating
// windows (lower bound) and the lower end of the Wilson interval of its violating-window rate is
// at least MinLift times the upper end of the interval of its benign-window rate (counts taken at
// their conservative bounds). So a proposal needs both frequency and contrast, with sampling and
// sketch error both working against it.
type PatternMiner struct {
	cfg  MinerConfig
	viol *TopK
	base *TopK
	th   []uint64
	seen dedupSet
	// vWindows and bWindows count the violating and benign windows seen.
	vWindows, bWindows uint64
}

// MinerConfig holds the miner's parameters; the zero value of a field means its default.
type MinerConfig struct {
	MaxN     int     // longest n-gram mined, 1..5 (default 3)
	Window   int     // tokens before the violation considered, 1..256 (default 16)
	Counters int     // Space-Saving counters per summary (default 1024)
	MinCount uint64  // minimum violating windows containing a pattern (default 5)
	MinLift  float64 // minimum conservative rate ratio (default 3)
}

func (c *MinerConfig) fill() error {
	if c.MaxN == 0 {
		c.MaxN = 3
	}
	if c.Window == 0 {
		c.Window = 16
	}
	if c.Counters == 0 {
		c.Counters = 1024
	}
	if c.MinCount == 0 {
		c.MinCount = 5
	}
	if c.MinLift == 0 {
		c.MinLift = 3
	}
	switch {
	case c.MaxN < 1 || c.MaxN > 5:
		return &InputError{Field: "MinerConfig.MaxN", Reason: fmt.Sprintf("%d not in 1..5", c.MaxN)}
	case c.Window < 1 || c.Window > 256:
		return &InputError{Field: "MinerConfig.Window", Reason: fmt.Sprintf("%d not in 1..256", c.Window)}
	case c.Counters < 1 || c.Counters > 1<<20:
		return &InputError{Field: "MinerConfig.Counters", Reason: fmt.Sprintf("%d not in 1..2^20", c.Counters)}
	case !(c.MinLift >= 1):
		return &InputError{Field: "MinerConfig.MinLift", Reason: "must be >= 1"}
	}
	return nil
}

// NewPatternMiner returns a miner; it returns an error wrapping ErrInvalid for a bad config.
func NewPatternMiner(cfg MinerConfig) (*PatternMiner, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	m := &PatternMiner{
		cfg:  cfg,
		viol: NewTopK(cfg.Counters),
		base: NewTopK(cfg.Counters),
		th:   make([]uint64, 0, cfg.Window),
	}
	m.seen.init(cfg.Window * cfg.MaxN)
	return m, nil
}

// Config returns the miner's configuration with defaults filled in.
func (m *PatternMiner) Config() MinerConfig { return m.cfg }

// Windows returns the number of violating and benign windows seen.
func (m *PatternMiner) Windows() (violating, benign uint64) {
	return m.vWindows, m.bWindows
}

// Add records one response. violationAt is the token index of its first violation (the n-grams
// ending before it are mined), or negative if the response had none. Positions past the end
// mean the end.
func (m *PatternMiner) Add(tokens []string, violationAt int) {
	var win []string
	var dst *TopK
	if violationAt >= 0 {
		end := min(violationAt, len(tokens))
		win = tokens[max(0, end-m.cfg.Window):end]
		dst = m.viol
		m.vWindows++
	} else {
		win = tokens[max(0, len(tokens)-m.cfg.Window):]
		dst = m.base
		m.bWindows++
	}
	m.th = m.th[:0]
	for _, t := range win {
		m.th = append(m.th, hashToken(t))
	}
	m.seen.reset()
	for i := range m.th {
		h := uint64(0x6a09e667f3bcc909)
		for n := 1; n <= m.cfg.MaxN && i+n <= len(m.th); n++ {
			h = bits.RotateLeft64(h, 23) ^ m.th[i+n-1]
			h *= 0x9e3779b97f4a7c15
			key := h ^ (h >> 29)
			if m.seen.insert(key) {
				dst.Inc(key, win[i:i+n])
			}
		}
	}
}

// Pattern is a mined n-gram with its evidence.
type Pattern struct {
	Tokens    []string
	Key       uint64
	ViolLow   uint64  // violating windows containing it, lower bound
	ViolHigh  uint64  // violating windows containing it, upper bound
	BenHigh   uint64  // benign windows containing it, upper bound
	Violating uint64  // violating windows seen
	Benign    uint64  // benign windows seen
	RateLo    float64 // Wilson 95% lower bound of ViolLow/Violating
	BaseHi    float64 // Wilson 95% upper bound of BenHigh/Benign
	Lift      float64 // RateLo / BaseHi: conservative ratio of rates
}

// Patterns appends the predictive patterns (see PatternMiner) to dst, most predictive first
// (by Lift, then by ViolLow, then by key for determinism), and returns it. A pattern contained
// in a longer predictive one with overlapping counts is left out (the longer one says more).
func (m *PatternMiner) Patterns(dst []Pattern) []Pattern {
	start := len(dst)
	var hh []HeavyHitter
	hh = m.viol.Top(hh)
	baseMin := m.base.Min()
	for _, h := range hh {
		low := h.Count - h.Err
		if low < m.cfg.MinCount {
			continue
		}
		ben := baseMin
		if c, _, ok := m.base.Get(h.Key); ok {
			ben = c
		}
		ben = min(ben, m.bWindows)
		rlo, _ := Wilson(low, m.vWindows, Z95)
		_, bhi := Wilson(ben, m.bWindows, Z95)
		lift := rlo / bhi
		if !(lift >= m.cfg.MinLift) {
			continue
		}
		dst = append(dst, Pattern{
			Tokens: h.Tokens, Key: h.Key,
			ViolLow: low, ViolHigh: h.Count, BenHigh: ben,
			Violating: m.vWindows, Benign: m.bWindows,
			RateLo: rlo, BaseHi: bhi, Lift: lift,
		})
	}
	dst = append(dst[:start], dropSubsumed(dst[start:])...)
	slices.SortFunc(dst[start:], func(a, b Pattern) int {
		switch {
		case a.Lift != b.Lift:
			if a.Lift > b.Lift {
				return -1
			}
			return 1
		case a.ViolLow != b.ViolLow:
			if a.ViolLow > b.ViolLow {
				return -1
			}
			return 1
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return dst
}

// dropSubsumed removes each pattern that is a contiguous part of a longer mined pattern whose
// count bounds overlap its own: the longer one then explains the same windows, and proposing
// both would only duplicate the reference library. It filters ps in place.
func dropSubsumed(ps []Pattern) []Pattern {
	out := ps[:0:0]
	for i := range ps {
		p := &ps[i]
		sub := false
		for j := range ps {
			q := &ps[j]
			if len(q.Tokens) > len(p.Tokens) && q.ViolHigh >= p.ViolLow && containsRun(q.Tokens, p.Tokens) {
				sub = true
				break
			}
		}
		if !sub {
			out = append(out, *p)
		}
	}
	return out
}

func containsRun(long, short []string) bool {
	for i := 0; i+len(short) <= len(long); i++ {
		if slices.Equal(long[i:i+len(short)], short) {
			return true
		}
	}
	return false
}

// hashToken is 64-bit FNV-1a.
func hashToken(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// dedupSet is an open-addressing set of non-zero-ish 64-bit keys, cleared in O(1) by bumping a
// generation stamp, so counting each n-gram once per response costs no allocation.
type dedupSet struct {
	keys  []uint64
	stamp []uint32
	gen   uint32
	mask  uint64
}

func (d *dedupSet) init(maxItems int) {
	n := 16
	for n < 2*maxItems {
		n <<= 1
	}
	d.keys = make([]uint64, n)
	d.stamp = make([]uint32, n)
	d.mask = uint64(n - 1)
}

func (d *dedupSet) reset() {
	d.gen++
	if d.gen == 0 { // wrapped: old stamps could alias
		clear(d.stamp)
		d.gen = 1
	}
}

// insert adds key and reports whether it was new.
func (d *dedupSet) insert(key uint64) bool {
	i := (key * 0x9e3779b97f4a7c15) >> 32 & d.mask
	for {
		if d.stamp[i] != d.gen {
			d.stamp[i] = d.gen
			d.keys[i] = key
			return true
		}
		if d.keys[i] == key {
			return false
		}
		i = (i + 1) & d.mask
	}
}
