package seq

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// Elem is a fixed-size element type whose values a Cache can hash and compare as raw bytes.
type Elem interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~int | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uint |
		~float32 | ~float64
}

// CacheStats counts cache outcomes since creation.
type CacheStats struct {
	Hits, Misses, Evictions uint64
	Len, Capacity           int
}

// Cache is an LRU cache of comparison results keyed by the contents of both inputs, the
// algorithm name and an options string. The key is a 64-bit hash of all of them, and a hit
// also compares the stored copies of the inputs byte for byte, so different inputs (of equal
// length or not) never share a result. Floating-point inputs are compared by bits: -0 and +0,
// or two NaNs with different payloads, are different inputs. Entries hold copies of their
// inputs, so memory grows with capacity × input size. A Cache is safe for concurrent use.
type Cache[E Elem, V any] struct {
	mu         sync.Mutex
	seed       maphash.Seed
	capacity   int
	m          map[uint64]*entry[E, V]
	head, tail *entry[E, V] // most and least recently used
	n          int
	stats      CacheStats
}

type entry[E Elem, V any] struct {
	h          uint64
	algo, opts string
	a, b       []E
	v          V
	prev, next *entry[E, V] // LRU list
	chain      *entry[E, V] // other entries with the same hash
}

// NewCache returns a cache holding at most capacity results (at least 1).
func NewCache[E Elem, V any](capacity int) *Cache[E, V] {
	capacity = max(capacity, 1)
	return &Cache[E, V]{seed: maphash.MakeSeed(), capacity: capacity, m: make(map[uint64]*entry[E, V], capacity)}
}

func bytesOf[E Elem](x []E) []byte {
	if len(x) == 0 {
		return nil
	}
	var z E
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), len(x)*int(unsafe.Sizeof(z)))
}

func (c *Cache[E, V]) hash(algo, opts string, a, b []E) uint64 {
	// Lengths are mixed in so that moving the boundary between a and b changes the key.
	h := maphash.String(c.seed, algo)
	h = h*0x9E3779B97F4A7C15 ^ maphash.String(c.seed, opts)
	h = h*0x9E3779B97F4A7C15 ^ maphash.Bytes(c.seed, bytesOf(a)) ^ uint64(len(a))
	h = h*0x9E3779B97F4A7C15 ^ maphash.Bytes(c.seed, bytesOf(b)) ^ uint64(len(b))<<32
	return h
}

func (e *entry[E, V]) same(algo, opts string, a, b []E) bool {
	return e.algo == algo && e.opts == opts && len(e.a) == len(a) && len(e.b) == len(b) &&
		string(bytesOf(e.a)) == string(bytesOf(a)) && string(bytesOf(e.b)) == string(bytesOf(b))
}

// Get returns the result stored for (algo, opts, a, b) and true, or the zero V and false.
func (c *Cache[E, V]) Get(algo, opts string, a, b []E) (V, bool) {
	h := c.hash(algo, opts, a, b)
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.m[h]; e != nil; e = e.chain {
		if e.same(algo, opts, a, b) {
			c.stats.Hits++
			c.moveToFront(e)
			return e.v, true
		}
	}
	c.stats.Misses++
	var zero V
	return zero, false
}

// Put stores v for (algo, opts, a, b), copying a and b, and evicts the least recently used
// entry when the cache is full.
func (c *Cache[E, V]) Put(algo, opts string, a, b []E, v V) {
	h := c.hash(algo, opts, a, b)
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.m[h]; e != nil; e = e.chain {
		if e.same(algo, opts, a, b) {
			e.v = v
			c.moveToFront(e)
			return
		}
	}
	if c.n >= c.capacity {
		c.evict()
	}
	e := &entry[E, V]{h: h, algo: algo, opts: opts, a: append([]E(nil), a...), b: append([]E(nil), b...), v: v}
	e.chain = c.m[h]
	c.m[h] = e
	c.pushFront(e)
	c.n++
}

// Stats returns the hit, miss and eviction counts and the current size.
func (c *Cache[E, V]) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Len, s.Capacity = c.n, c.capacity
	return s
}

func (c *Cache[E, V]) pushFront(e *entry[E, V]) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

func (c *Cache[E, V]) unlink(e *entry[E, V]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *Cache[E, V]) moveToFront(e *entry[E, V]) {
	if c.head == e {
		return
	}
	c.unlink(e)
	c.pushFront(e)
}

func (c *Cache[E, V]) evict() {
	e := c.tail
	c.unlink(e)
	// Remove e from its hash chain.
	if p := c.m[e.h]; p == e {
		if e.chain == nil {
			delete(c.m, e.h)
		} else {
			c.m[e.h] = e.chain
		}
	} else {
		for ; p.chain != e; p = p.chain {
		}
		p.chain = e.chain
	}
	c.n--
	c.stats.Evictions++
}
