package seq

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestCacheKeyedByContent(t *testing.T) {
	c := NewCache[float64, float64](100)
	d := NewDTW()
	r := rand.New(rand.NewPCG(51, 52))
	// Many distinct pairs of equal length (the Rust original keyed by length and mixed them).
	type pair struct{ a, b []float64 }
	var ps []pair
	for i := 0; i < 50; i++ {
		p := pair{randSeries(r, 10), randSeries(r, 10)}
		ps = append(ps, p)
		c.Put("dtw", "w=-1,sq", p.a, p.b, d.Distance(p.a, p.b))
	}
	for _, p := range ps {
		v, ok := c.Get("dtw", "w=-1,sq", p.a, p.b)
		if !ok || v != d.Distance(p.a, p.b) {
			t.Fatalf("got %v %v, want %v", v, ok, d.Distance(p.a, p.b))
		}
	}
	a := ps[0].a
	if _, ok := c.Get("dtw", "w=2,sq", a, ps[0].b); ok {
		t.Error("options ignored")
	}
	if _, ok := c.Get("lcs", "w=-1,sq", a, ps[0].b); ok {
		t.Error("algorithm ignored")
	}
	if _, ok := c.Get("dtw", "w=-1,sq", ps[0].b, a); ok {
		t.Error("argument order ignored")
	}
	// Moving the boundary between a and b keeps the concatenation but must miss.
	ab := append(append([]float64{}, a...), ps[0].b...)
	if _, ok := c.Get("dtw", "w=-1,sq", ab[:9], ab[9:]); ok {
		t.Error("boundary ignored")
	}
	neg := []float64{math.Copysign(0, -1)}
	c.Put("dtw", "", []float64{0}, nil, 1)
	if _, ok := c.Get("dtw", "", neg, nil); ok {
		t.Error("-0 and +0 share an entry")
	}
	// Mutating the caller's slice after Put does not change the stored key.
	x := []float64{1, 2, 3}
	c.Put("e", "", x, x, 42)
	x[0] = 9
	if _, ok := c.Get("e", "", x, x); ok {
		t.Error("cache aliases caller's slice")
	}
}

// A hash function that always collides must still keep entries apart by content.
func TestCacheCollisionChain(t *testing.T) {
	c := NewCache[int32, int](3)
	h := c.hash("x", "", []int32{1}, nil)
	// Forge collisions by inserting entries directly under one hash.
	for i := int32(0); i < 3; i++ {
		e := &entry[int32, int]{h: h, algo: "x", a: []int32{i}, v: int(i)}
		e.chain = c.m[h]
		c.m[h] = e
		c.pushFront(e)
		c.n++
	}
	for e := c.m[h]; e != nil; e = e.chain {
		if !e.same("x", "", []int32{int32(e.v)}, nil) || e.same("x", "", []int32{int32(e.v) + 1}, nil) {
			t.Fatal("content check wrong")
		}
	}
	c.Put("y", "", []int32{5}, nil, 5) // evicts the oldest forged entry (a=0) from the chain
	n := 0
	for e := c.m[h]; e != nil; e = e.chain {
		n++
		if e.v == 0 {
			t.Fatal("evicted entry still chained")
		}
	}
	if n != 2 {
		t.Fatalf("chain length %d, want 2", n)
	}
}

func TestCacheLRUAndStats(t *testing.T) {
	c := NewCache[int32, int](2)
	k := func(i int32) []int32 { return []int32{i} }
	c.Put("a", "", k(1), nil, 1)
	c.Put("a", "", k(2), nil, 2)
	c.Get("a", "", k(1), nil) // 1 is now most recent
	c.Put("a", "", k(3), nil, 3)
	if _, ok := c.Get("a", "", k(2), nil); ok {
		t.Error("least recently used entry not evicted")
	}
	if v, ok := c.Get("a", "", k(1), nil); !ok || v != 1 {
		t.Error("recent entry evicted")
	}
	s := c.Stats()
	want := CacheStats{Hits: 2, Misses: 1, Evictions: 1, Len: 2, Capacity: 2}
	if s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache[int32, int](16)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := []int32{int32(i % 40)}
				if v, ok := c.Get("a", "", k, nil); ok && v != i%40 {
					t.Errorf("wrong value %d for key %d", v, i%40)
					return
				}
				c.Put("a", "", k, nil, i%40)
			}
		}(g)
	}
	wg.Wait()
	if s := c.Stats(); s.Len > 16 || s.Hits+s.Misses != 2000 {
		t.Errorf("stats %+v", s)
	}
}
