package seq

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"unsafe"
)

// randMatchCase returns references and a stream with mutated copies of them planted in
// noise. Small alphabets and large MaxDist make long runs and many candidates, so every
// reporting rule (run end, distance 0, the m+MaxDist limit, overlaps) is exercised.
func randMatchCase(r *rand.Rand, n int) ([]Reference, []int32) {
	alpha := []int{3, 8, 60, 600}[r.IntN(4)]
	var refs []Reference
	for k := 0; k < 1+r.IntN(4); k++ {
		m := 1 + r.IntN([]int{8, 40, 150}[r.IntN(3)])
		maxDist := r.IntN(m)
		if r.IntN(2) == 0 {
			maxDist = r.IntN(max(1, m/4))
		}
		refs = append(refs, Reference{ID: fmt.Sprint("r", k), Tokens: randTokens(r, m, alpha), MaxDist: maxDist})
	}
	var stream []int32
	for len(stream) < n {
		stream = append(stream, randTokens(r, r.IntN(60), alpha)...)
		ri := r.IntN(len(refs))
		stream = append(stream, mutate(r, refs[ri].Tokens, r.IntN(refs[ri].MaxDist+2), alpha)...)
	}
	return refs, stream
}

func legacyMatches(t testing.TB, refs []Reference, stream []int32) []TextMatch {
	lm, err := newLegacyMatcher(refs)
	if err != nil {
		t.Fatal(err)
	}
	return lm.Flush(lm.Write(nil, stream))
}

// TestMatcherAgreesWithLegacy checks the shared-set matcher against the former per-matcher
// implementation (legacy_stream_test.go), match for match, including after Reset.
func TestMatcherAgreesWithLegacy(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	total := 0
	for it := 0; it < 150; it++ {
		refs, stream := randMatchCase(r, 600)
		want := legacyMatches(t, refs, stream)
		total += len(want)
		rs, err := CompileReferences(refs)
		if err != nil {
			t.Fatal(err)
		}
		m := rs.NewMatcher()
		for round := 0; round < 2; round++ {
			var got []TextMatch
			for p := 0; p < len(stream); {
				n := min(1+r.IntN(20), len(stream)-p)
				got = m.Write(got, stream[p:p+n])
				p += n
			}
			got = m.Flush(got)
			if !slices.Equal(got, want) {
				t.Fatalf("case %d round %d: refs %v\ngot  %v\nwant %v", it, round, refs, got, want)
			}
			if m.Pos() != len(stream) {
				t.Fatalf("Pos %d, want %d", m.Pos(), len(stream))
			}
			m.Reset()
		}
	}
	if total < 1000 {
		t.Fatalf("only %d matches in all cases: the test exercises too little", total)
	}
}

// TestMatcherRebase moves a matcher's position origin close to the rebase point mid-stream
// (an equivalent state) and checks that the results do not change across the rebase.
func TestMatcherRebase(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for it := 0; it < 40; it++ {
		refs, stream := randMatchCase(r, 800)
		want := legacyMatches(t, refs, stream)
		rs, err := CompileReferences(refs)
		if err != nil {
			t.Fatal(err)
		}
		m := rs.NewMatcher()
		cut := r.IntN(len(stream))
		got := m.Write(nil, stream[:cut])
		newBase := m.pos - (rebaseAt - 1 - r.IntN(20))
		shift := int32(m.base - newBase)
		for ri := range m.run {
			m.run[ri].bestEnd += shift
			m.run[ri].quietUntil += shift
		}
		m.base = newBase
		got = m.Flush(m.Write(got, stream[cut:]))
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: got %v\nwant %v", it, got, want)
		}
		if m.pos-m.base >= rebaseAt/2 {
			t.Fatalf("no rebase happened: pos %d base %d", m.pos, m.base)
		}
	}
}

// TestMatcherSharedSetConcurrent runs many matchers of one set in parallel goroutines, each on
// its own stream, and compares with independently built matchers (run with -race).
func TestMatcherSharedSetConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	refs, _ := randMatchCase(r, 0)
	rs, err := CompileReferences(refs)
	if err != nil {
		t.Fatal(err)
	}
	const streams = 16
	inputs := make([][]int32, streams)
	want := make([][]TextMatch, streams)
	for i := range inputs {
		var s []int32
		for len(s) < 1500 {
			ref := refs[r.IntN(len(refs))]
			s = append(s, randTokens(r, r.IntN(50), 40)...)
			s = append(s, mutate(r, ref.Tokens, r.IntN(ref.MaxDist+1), 40)...)
		}
		inputs[i] = s
		sm, err := NewStreamMatcher(refs)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = sm.Flush(sm.Write(nil, s))
	}
	got := make([][]TextMatch, streams)
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := rs.NewMatcher()
			var out []TextMatch
			for p := 0; p < len(inputs[i]); p += 7 {
				out = m.Write(out, inputs[i][p:min(p+7, len(inputs[i]))])
			}
			got[i] = m.Flush(out)
		}()
	}
	wg.Wait()
	total := 0
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("stream %d: shared set gave %v, independent matcher %v", i, got[i], want[i])
		}
		total += len(got[i])
	}
	if total == 0 {
		t.Fatal("no matches: the test exercises nothing")
	}
}

// libraryRefs returns n references of m tokens at MaxDist 15% of m (the compare service's
// default threshold).
func libraryRefs(r *rand.Rand, n, m int) []Reference {
	refs := make([]Reference, n)
	for i := range refs {
		refs[i] = Reference{ID: fmt.Sprint("ref-", i), Tokens: randTokens(r, m, 30000), MaxDist: m * 15 / 100}
	}
	return refs
}

// TestMatcherMemory bounds what one open matcher holds beside its shared set: at most 4 KiB
// for a library of 20 references × 200 tokens, by the slice capacities and by the heap.
func TestMatcherMemory(t *testing.T) {
	rs, err := CompileReferences(libraryRefs(rand.New(rand.NewPCG(47, 48)), 20, 200))
	if err != nil {
		t.Fatal(err)
	}
	const limit = 4096
	m := rs.NewMatcher()
	sum := 8*cap(m.vec) + 16*cap(m.run) + 4*cap(m.ring)
	if sum+100 > limit || rs.MatcherBytes() > limit || rs.MatcherBytes() < sum {
		t.Fatalf("matcher slices hold %d bytes, MatcherBytes %d, limit %d", sum, rs.MatcherBytes(), limit)
	}
	// The heap, with size-class rounding: many matchers, each fed a few tokens.
	const n = 500
	ms := make([]*Matcher, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range ms {
		ms[i] = rs.NewMatcher()
		for k := int32(0); k < 50; k++ {
			ms[i].Push(nil, k)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	runtime.KeepAlive(ms)
	t.Logf("per matcher: %d bytes on the heap, %d by MatcherBytes", per, rs.MatcherBytes())
	if per > limit {
		t.Fatalf("%d heap bytes per matcher, limit %d", per, limit)
	}
}

func TestCompileReferencesErrors(t *testing.T) {
	if _, err := CompileReferences([]Reference{{ID: "ok", Tokens: []int32{1}}, {ID: "x"}}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := CompileReferences([]Reference{{ID: "x", Tokens: []int32{1, 2}, MaxDist: -1}}); !errors.Is(err, ErrOption) {
		t.Errorf("MaxDist: %v", err)
	}
	long := make([]int32, MaxReferenceSpan)
	if _, err := CompileReferences([]Reference{{ID: "x", Tokens: long, MaxDist: 1}}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("span: %v", err)
	}
	// An empty set is valid and never reports.
	rs, err := CompileReferences(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := rs.NewMatcher()
	if got := m.Flush(m.Write(nil, []int32{1, 2, 3})); len(got) != 0 || m.Pos() != 3 || rs.Len() != 0 {
		t.Fatalf("empty set: %v, Pos %d", got, m.Pos())
	}
}

func TestReferenceSetAccessors(t *testing.T) {
	rs, err := CompileReferences([]Reference{{ID: "a", Tokens: []int32{1, 2, 3}, MaxDist: 1}, {ID: "b", Tokens: make([]int32, 70), MaxDist: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Len() != 2 || rs.ID(1) != "b" || rs.Lookback() != 2*75 {
		t.Fatalf("Len %d ID %q Lookback %d", rs.Len(), rs.ID(1), rs.Lookback())
	}
	m := rs.NewMatcher()
	if m.Set() != rs {
		t.Fatal("Set")
	}
	// 2 + 2·2 words of columns, 2 run states, 150 ring tokens.
	if got, want := rs.MatcherBytes(), int(unsafe.Sizeof(Matcher{}))+6*8+2*16+150*4; got != want {
		t.Fatalf("MatcherBytes %d, want %d", got, want)
	}
}
