package learn

import (
	"fmt"
	"strings"
)

// TopK is the Space-Saving heavy-hitters summary (Metwally, Agrawal & El Abbadi, "Efficient
// computation of frequent and top-k elements in data streams", ICDT 2005) over 64-bit keys,
// with k counters. After N increments:
//
//   - every tracked key's count ĉ and error e satisfy ĉ-e ≤ f ≤ ĉ, where f is its true count;
//   - every error e is at most the smallest counter, which is at most N/k;
//   - every key with f > N/k is tracked, and an untracked key has f ≤ Min().
//
// Counters are kept sorted by count (descending) in an order array, so a unit increment is a
// map lookup, a binary search and a swap; no allocation happens except when a new key takes a
// slot (its payload is copied then). The payload is the token n-gram the key hashes.
type TopK struct {
	k     int
	slots []hhSlot
	order []int32 // slot ids by descending count
	rank  []int32 // rank[slot] = position in order
	index map[uint64]int32
	n     uint64
}

type hhSlot struct {
	key    uint64
	count  uint64
	err    uint64
	tokens []string
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
	return &TopK{
		k:     k,
		slots: make([]hhSlot, 0, k),
		order: make([]int32, 0, k),
		rank:  make([]int32, 0, k),
		index: make(map[uint64]int32, k),
	}
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
	s, ok := t.index[key]
	if !ok {
		return 0, 0, false
	}
	return t.slots[s].count, t.slots[s].err, true
}

// Inc counts one occurrence of key. tokens is copied only if the key takes a new slot.
func (t *TopK) Inc(key uint64, tokens []string) {
	t.n++
	if s, ok := t.index[key]; ok {
		t.bump(s)
		return
	}
	if len(t.slots) < t.k {
		s := int32(len(t.slots))
		t.slots = append(t.slots, hhSlot{key: key, count: 1, tokens: cloneTokens(nil, tokens)})
		t.order = append(t.order, s)
		t.rank = append(t.rank, int32(len(t.order)-1))
		t.index[key] = s
		return
	}
	// Replace the minimum: the newcomer inherits its count as error.
	s := t.order[len(t.order)-1]
	sl := &t.slots[s]
	delete(t.index, sl.key)
	sl.key = key
	sl.err = sl.count
	sl.tokens = cloneTokens(nil, tokens) // fresh: earlier Top results may hold the old one
	t.index[key] = s
	t.bump(s)
}

// bump increments slot s, first swapping it with the highest-ranked slot of equal count so the
// order stays sorted.
func (t *TopK) bump(s int32) {
	c := t.slots[s].count
	r := int(t.rank[s])
	lo, hi := 0, r // leftmost position in [0, r] whose count is <= c
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.slots[t.order[m]].count > c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo != r {
		o := t.order[lo]
		t.order[lo], t.order[r] = s, o
		t.rank[s], t.rank[o] = int32(lo), int32(r)
	}
	t.slots[s].count++
}

// Top appends the tracked keys in descending count order to dst and returns it. The Tokens
// slices are shared with the summary and must not be modified.
func (t *TopK) Top(dst []HeavyHitter) []HeavyHitter {
	for _, s := range t.order {
		sl := &t.slots[s]
		dst = append(dst, HeavyHitter{Key: sl.key, Tokens: sl.tokens, Count: sl.count, Err: sl.err})
	}
	return dst
}

// cloneTokens copies src into dst's storage, cloning each string so the summary never pins a
// caller's large buffer.
func cloneTokens(dst, src []string) []string {
	for _, s := range src {
		dst = append(dst, strings.Clone(s))
	}
	return dst
}
