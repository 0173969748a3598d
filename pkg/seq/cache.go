package seq

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
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
	wseed      uint64
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
	// A random seed per cache, so that colliding inputs cannot be prepared in advance.
	return &Cache[E, V]{wseed: maphash.String(maphash.MakeSeed(), "seq.Cache") | 1, capacity: capacity, m: make(map[uint64]*entry[E, V], capacity)}
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
	h := hashBytes(c.wseed, unsafe.Slice(unsafe.StringData(algo), len(algo)))
	h = hashBytes(h^c.wseed, unsafe.Slice(unsafe.StringData(opts), len(opts)))
	h = hashBytes(h^c.wseed^uint64(len(a)), bytesOf(a))
	return hashBytes(h^c.wseed^uint64(len(b))<<32, bytesOf(b))
}

// hashBytes is a seeded hash in the style of wyhash: each 16 bytes cost one 64×64→128-bit
// multiply whose halves are folded together, in three independent lanes, faster than
// maphash.Bytes on the hundreds of bytes a cache key holds; that is what
// keeps a hit near 100 ns. Collisions cost only a chain step and a content comparison, never a
// wrong answer.
func hashBytes(seed uint64, p []byte) uint64 {
	const (
		k0 = 0xa0761d6478bd642f
		k1 = 0xe7037ed1a0b428db
		k2 = 0x8ebc6af09c88c6e3
		k3 = 0x589965cc75374cc3
	)
	n := uint64(len(p))
	s0, s1, s2 := seed^k0, seed^k1, seed^k2
	// Native-order loads through unsafe skip the bounds checks of the hot loop; the hash only
	// lives inside this process, so byte order does not matter.
	base := unsafe.Pointer(unsafe.SliceData(p))
	off, end := 0, len(p)
	for ; off+48 <= end; off += 48 {
		w := (*[6]uint64)(unsafe.Add(base, off))
		s0 = mum(w[0]^k1, w[1]^s0)
		s1 = mum(w[2]^k2, w[3]^s1)
		s2 = mum(w[4]^k3, w[5]^s2)
	}
	s0 ^= s1 ^ s2
	for ; off+16 <= end; off += 16 {
		w := (*[2]uint64)(unsafe.Add(base, off))
		s0 = mum(w[0]^k1, w[1]^s0)
	}
	var t [16]byte
	copy(t[:], p[off:])
	s0 = mum(binary.LittleEndian.Uint64(t[:])^k1^n, binary.LittleEndian.Uint64(t[8:])^s0)
	return mum(s0^k3, n^k1)
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
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
