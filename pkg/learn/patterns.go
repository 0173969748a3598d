package learn

import (
	"fmt"
	"math/bits"
	"slices"
)

// PatternMiner finds token n-grams that precede violations more often than they occur in
// responses without one. A Space-Saving summary counts per-response n-gram presence (document
// counts) over the Window tokens before each response's first flagged verdict; for every n-gram
// it tracks, the miner also counts exactly how many benign windows (the last Window tokens of a
// response without a flagged verdict, so both sides count windows of the same length) contain
// it since it entered the summary. Memory is bounded by Counters n-grams whatever the stream
// length, and a benign window costs one hash probe per n-gram.
//
// Error guarantee: with V violating windows, a tracked pattern's violating count is known within
// [Count-Err, Count] with Err ≤ V/Counters, and any n-gram present in more than V/Counters
// violating windows is tracked. Its benign rate is exact over the benign windows seen since it
// was last admitted to the summary (a stationary stream makes that an unbiased sample of the
// base rate); a pattern admitted recently has few such windows and so a wide interval. Keys are
// 64-bit hashes of the n-gram; two distinct n-grams among m collide with probability about
// m²/2^65, negligible at these sizes.
//
// Patterns reports an n-gram as predictive when it occurred in at least MinCount violating
// windows (lower bound) and the lower end of the Wilson 95% interval of its violating-window rate
// is at least MinLift times the upper end of the interval of its benign-window rate. So a
// proposal needs both frequency and contrast, with sampling and sketch error both working
// against it.
type PatternMiner struct {
	cfg  MinerConfig
	viol *TopK
	ben  []benignCount // by violating-summary slot
	th   []uint64
	seen dedupSet
	// vWindows and bWindows count the violating and benign windows seen.
	vWindows, bWindows uint64
}

// benignCount is the benign presence of the n-gram in one summary slot since it was admitted.
type benignCount struct {
	count uint64 // benign windows containing it
	start uint64 // bWindows when it was admitted
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
		ben:  make([]benignCount, cfg.Counters),
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
	viol := violationAt >= 0
	if viol {
		end := min(violationAt, len(tokens))
		win = tokens[max(0, end-m.cfg.Window):end]
		m.vWindows++
	} else {
		win = tokens[max(0, len(tokens)-m.cfg.Window):]
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
			if viol {
				if m.seen.insert(key) {
					if s, inserted := m.viol.inc(key, win[i:i+n]); inserted {
						m.ben[s] = benignCount{start: m.bWindows}
					}
				}
			} else if s := m.viol.index.get(key); s >= 0 && m.seen.insert(key) {
				// Benign n-grams matter only if tracked; most are not, so probe first.
				m.ben[s].count++
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
	Violating uint64  // violating windows seen
	BenCount  uint64  // benign windows containing it, since it was admitted
	Benign    uint64  // benign windows seen since it was admitted
	RateLo    float64 // Wilson 95% lower bound of ViolLow/Violating
	BaseHi    float64 // Wilson 95% upper bound of BenCount/Benign
	Lift      float64 // RateLo / BaseHi: conservative ratio of rates
}

// Patterns appends the predictive patterns (see PatternMiner) to dst, most predictive first
// (by Lift, then by ViolLow, then by key for determinism), and returns it. Of two predictive
// patterns where one contains the other, only one is reported (see dropSubsumed).
func (m *PatternMiner) Patterns(dst []Pattern) []Pattern {
	start := len(dst)
	for _, si := range m.viol.order {
		h := &m.viol.slots[si]
		low := h.count - h.err
		if low < m.cfg.MinCount {
			continue
		}
		ben, nb := m.ben[si].count, m.bWindows-m.ben[si].start
		_, bhi := Wilson(ben, nb, Z95)
		rlo, _ := Wilson(low, m.vWindows, Z95)
		lift := rlo / bhi
		if !(lift >= m.cfg.MinLift) {
			continue
		}
		dst = append(dst, Pattern{
			Tokens: h.tokens(), Key: h.key,
			ViolLow: low, ViolHigh: h.count, BenCount: ben,
			Violating: m.vWindows, Benign: nb,
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

// dropSubsumed keeps one pattern of every pair where one contains the other: the longer one
// if their count bounds overlap (it explains the same windows and says more), the shorter one
// otherwise (it covers every window the longer one does, and more). Proposing both would only
// duplicate compare's reference library. It filters ps in place. (Because overlapping bounds are
// not transitive, a chain p ⊂ q ⊂ r can in rare cases lose all three; the next mining run, with
// more windows, separates them.)
func dropSubsumed(ps []Pattern) []Pattern {
	drop := make([]bool, len(ps))
	for i := range ps {
		for j := range ps {
			p, q := &ps[i], &ps[j]
			if len(q.Tokens) <= len(p.Tokens) || !containsRun(q.Tokens, p.Tokens) {
				continue
			}
			if q.ViolHigh >= p.ViolLow {
				drop[i] = true
			} else {
				drop[j] = true
			}
		}
	}
	out := ps[:0]
	for i := range ps {
		if !drop[i] {
			out = append(out, ps[i])
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
