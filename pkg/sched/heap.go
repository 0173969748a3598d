package sched

// hent is one heap entry; keys live in the slice so comparisons touch no other memory.
type hent[P any] struct {
	key int64
	tie uint64
	p   P
}

// iheap is a binary min-heap on (key, tie) that tells each element its index through pos, so
// elements can be fixed or removed in O(log n). The standard container/heap would box every
// element in an interface on Push and Pop.
type iheap[P any] struct {
	a   []hent[P]
	pos func(P, int32)
}

func (h *iheap[P]) len() int { return len(h.a) }

func (h *iheap[P]) less(i, j int) bool {
	a, b := &h.a[i], &h.a[j]
	if a.key != b.key {
		return a.key < b.key
	}
	return a.tie < b.tie
}

func (h *iheap[P]) swap(i, j int) {
	h.a[i], h.a[j] = h.a[j], h.a[i]
	h.pos(h.a[i].p, int32(i))
	h.pos(h.a[j].p, int32(j))
}

func (h *iheap[P]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *iheap[P]) down(i0 int) bool {
	i, n := i0, len(h.a)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

func (h *iheap[P]) push(p P, key int64, tie uint64) {
	h.a = append(h.a, hent[P]{key, tie, p})
	n := len(h.a) - 1
	h.pos(p, int32(n))
	h.up(n)
}

// remove deletes the element at index i.
func (h *iheap[P]) remove(i int) {
	n := len(h.a) - 1
	if i != n {
		h.swap(i, n)
	}
	h.pos(h.a[n].p, -1)
	h.a[n] = hent[P]{} // drop the reference for the garbage collector
	h.a = h.a[:n]
	if i < n && !h.down(i) {
		h.up(i)
	}
}

// fix sets the key of the element at index i and restores the heap order.
func (h *iheap[P]) fix(i int, key int64, tie uint64) {
	h.a[i].key, h.a[i].tie = key, tie
	if !h.down(i) {
		h.up(i)
	}
}

// init restores the heap order after keys were changed in place.
func (h *iheap[P]) init() {
	for i := len(h.a)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}
