package learn

import "fmt"

// TopK is the Space-Saving heavy-hitters summary (Metwally, Agrawal & El Abbadi, "Efficient
// computation of frequent and top-k elements in data streams", ICDT 2005) over 64-bit keys,
// with k counters. After N increments:
//
//   - every tracked key's count ĉ and error e satisfy ĉ-e ≤ f ≤ ĉ, where f is its true count;
//   - every error e is at most the smallest counter, which is at most N/k;
//   - every key with f > N/k is tracked, and an untracked key has f ≤ Min().
//
// Counters are kept sorted by count (descending) in an order array, so a unit increment is a
// hash-table probe, a binary search and a swap. Each key carries a payload, the tokens of the
// n-gram it hashes, copied into storage the slot reuses, so the summary does not allocate once
// warm and never pins the caller's strings.
type TopK struct {
	k     int
	slots []hhSlot
	order []int32  // slot ids by descending count
	cnt   []uint64 // cnt[r] = count of slot order[r], contiguous for the binary search
	rank  []int32  // rank[slot] = position in order
	index keyTable
	n     uint64
}

type hhSlot struct {
	key   uint64
	count uint64
	err   uint64
	buf   []byte   // the payload's tokens, concatenated
	ends  []uint32 // end offset of each token in buf
}

// HeavyHitter is one tracked key with its count bounds.
type HeavyHitter struct {
	Key    uint64
	Tokens []string
	Count  uint64 // upper bound on the true count
	Err    uint64 // Count-Err is a lower bound on the true count
}

// NewTopK returns a summary with k counters; it panics if k < 1.
func NewTopK(k int) *TopK {
	if k < 1 {
		panic(fmt.Sprintf("learn: NewTopK(%d): need k >= 1", k))
	}
	t := &TopK{
		k:     k,
		slots: make([]hhSlot, 0, k),
		order: make([]int32, 0, k),
		cnt:   make([]uint64, 0, k),
		rank:  make([]int32, 0, k),
	}
	t.index.init(k)
	return t
}

// N returns the number of increments seen.
func (t *TopK) N() uint64 { return t.n }

// Len returns the number of keys tracked (at most k).
func (t *TopK) Len() int { return len(t.slots) }

// Min returns the smallest counter once all k counters are in use, else 0: an upper bound on the
// true count of every untracked key.
func (t *TopK) Min() uint64 {
	if len(t.slots) < t.k {
		return 0
	}
	return t.slots[t.order[len(t.order)-1]].count
}

// Get returns the key's count bounds; ok is false for an untracked key.
func (t *TopK) Get(key uint64) (count, err uint64, ok bool) {
	s := t.index.get(key)
	if s < 0 {
		return 0, 0, false
	}
	return t.slots[s].count, t.slots[s].err, true
}

// Inc counts one occurrence of key. tokens is copied only if the key takes a slot.
func (t *TopK) Inc(key uint64, tokens []string) { t.inc(key, tokens) }

// inc is Inc, returning the key's slot and whether the key just took it.
func (t *TopK) inc(key uint64, tokens []string) (slot int32, inserted bool) {
	t.n++
	if s := t.index.get(key); s >= 0 {
		t.bump(s)
		return s, false
	}
	if len(t.slots) < t.k {
		s := int32(len(t.slots))
		t.slots = append(t.slots, hhSlot{key: key, count: 1})
		t.slots[s].setTokens(tokens)
		t.order = append(t.order, s)
		t.cnt = append(t.cnt, 1)
		t.rank = append(t.rank, int32(len(t.order)-1))
		t.index.put(key, s)
		return s, true
	}
	// Replace the minimum: the newcomer inherits its count as error.
	s := t.order[len(t.order)-1]
	sl := &t.slots[s]
	t.index.del(sl.key)
	sl.key = key
	sl.err = sl.count
	sl.setTokens(tokens)
	t.index.put(key, s)
	t.bump(s)
	return s, true
}

func (sl *hhSlot) setTokens(tokens []string) {
	sl.buf = sl.buf[:0]
	sl.ends = sl.ends[:0]
	for _, s := range tokens {
		sl.buf = append(sl.buf, s...)
		sl.ends = append(sl.ends, uint32(len(sl.buf)))
	}
}

func (sl *hhSlot) tokens() []string {
	out := make([]string, len(sl.ends))
	var start uint32
	for i, e := range sl.ends {
		out[i] = string(sl.buf[start:e])
		start = e
	}
	return out
}

// bump increments slot s, first swapping it with the highest-ranked slot of equal count so the
// order stays sorted.
func (t *TopK) bump(s int32) {
	r := int(t.rank[s])
	c := t.cnt[r]
	// Leftmost position in [0, r] whose count is <= c, by a branch-free binary search: the
	// counts form long plateaus, which make a branchy search mispredict at every step.
	lo := 0
	cnt := t.cnt[:r+1]
	for n := len(cnt); n > 1; {
		half := n / 2
		if cnt[lo+half-1] > c {
			lo += half
		}
		n -= half
	}
	if cnt[lo] > c {
		lo++
	}
	if lo != r {
		o := t.order[lo]
		t.order[lo], t.order[r] = s, o
		t.rank[s], t.rank[o] = int32(lo), int32(r)
	}
	t.cnt[lo] = c + 1
	t.slots[s].count = c + 1
}

// Top appends the tracked keys in descending count order to dst and returns it.
func (t *TopK) Top(dst []HeavyHitter) []HeavyHitter {
	for _, s := range t.order {
		sl := &t.slots[s]
		dst = append(dst, HeavyHitter{Key: sl.key, Tokens: sl.tokens(), Count: sl.count, Err: sl.err})
	}
	return dst
}

// keyTable maps 64-bit keys to slot ids by open addressing with linear probing and
// backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 Algorithm R), sized to stay under half
// full; it is several times faster than a Go map for this insert/delete-heavy load.
type keyTable struct {
	keys []uint64
	vals []int32 // slot id + 1; 0 marks an empty cell
	mask uint64
}

func (h *keyTable) init(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	h.keys = make([]uint64, size)
	h.vals = make([]int32, size)
	h.mask = uint64(size - 1)
}

func (h *keyTable) home(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> 20 & h.mask }

func (h *keyTable) get(key uint64) int32 {
	for i := h.home(key); ; i = (i + 1) & h.mask {
		v := h.vals[i]
		if v == 0 {
			return -1
		}
		if h.keys[i] == key {
			return v - 1
		}
	}
}

func (h *keyTable) put(key uint64, s int32) {
	i := h.home(key)
	for h.vals[i] != 0 && h.keys[i] != key {
		i = (i + 1) & h.mask
	}
	h.keys[i], h.vals[i] = key, s+1
}

func (h *keyTable) del(key uint64) {
	i := h.home(key)
	for {
		if h.vals[i] == 0 {
			return
		}
		if h.keys[i] == key {
			break
		}
		i = (i + 1) & h.mask
	}
	// Shift later members of the probe run back into the hole, unless their home lies
	// cyclically in (hole, j], in which case they must stay.
	for j := (i + 1) & h.mask; h.vals[j] != 0; j = (j + 1) & h.mask {
		k := h.home(h.keys[j])
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			h.keys[i], h.vals[i] = h.keys[j], h.vals[j]
			i = j
		}
	}
	h.vals[i] = 0
}
