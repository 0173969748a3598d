package seq

// symtab maps int32 tokens to dense symbol indices 0..n-1 with open addressing. Slots carry a
// generation stamp, so reset is O(1) amortised instead of clearing the table on every call.
type symtab struct {
	keys []int32
	vals []int32
	gens []uint32
	gen  uint32
	mask uint32
	n    int32
}

// reset empties the table and sizes it for up to n symbols (load factor <= 1/2).
func (s *symtab) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if len(s.keys) < size {
		s.keys = make([]int32, size)
		s.vals = make([]int32, size)
		s.gens = make([]uint32, size)
		s.gen = 0
	}
	s.gen++
	if s.gen == 0 { // wrapped: stale stamps could look current
		clear(s.gens)
		s.gen = 1
	}
	s.mask = uint32(len(s.keys) - 1)
	s.n = 0
}

func hash32(k int32) uint32 { return uint32(k) * 0x9E3779B1 }

// get returns the index of k, or -1.
func (s *symtab) get(k int32) int32 {
	for h := hash32(k) & s.mask; ; h = (h + 1) & s.mask {
		if s.gens[h] != s.gen {
			return -1
		}
		if s.keys[h] == k {
			return s.vals[h]
		}
	}
}

// put returns the index of k, adding it if absent.
func (s *symtab) put(k int32) int32 {
	h := hash32(k) & s.mask
	for ; s.gens[h] == s.gen; h = (h + 1) & s.mask {
		if s.keys[h] == k {
			return s.vals[h]
		}
	}
	s.gens[h], s.keys[h], s.vals[h] = s.gen, k, s.n
	s.n++
	return s.n - 1
}
