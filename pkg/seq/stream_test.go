package seq

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// subseqDTWAll returns D[s][e] = DTW(x[s:e], y) (accumulated) for every span, by one naive DP
// per start: the exhaustive subsequence search SPRING must agree with.
func subseqDTWAll(x, y []float64, cost Cost) [][]float64 {
	n, m := len(x), len(y)
	out := make([][]float64, n)
	for s := 0; s < n; s++ {
		out[s] = make([]float64, n+1)
		for e := range out[s] {
			out[s][e] = math.Inf(1)
		}
		prev := make([]float64, m+1)
		cur := make([]float64, m+1)
		for i := range prev {
			prev[i] = math.Inf(1)
		}
		prev[0] = 0
		for e := s; e < n; e++ {
			cur[0] = math.Inf(1)
			for i := 1; i <= m; i++ {
				cur[i] = cost.cell(x[e], y[i-1]) + math.Min(prev[i-1], math.Min(prev[i], cur[i-1]))
			}
			out[s][e+1] = cur[m]
			prev, cur = cur, prev
		}
	}
	return out
}

func TestSpringFindsEveryPlantedOccurrence(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for it := 0; it < 12; it++ {
		m := 8 + r.IntN(16)
		q := make([]float64, m)
		for i := range q {
			q[i] = 3 * math.Sin(float64(i)/2)
		}
		// Noise stream with warped, noisy copies of q planted at known places.
		var x []float64
		var planted [][2]int
		for len(x) < 350 {
			for k := r.IntN(40); k > 0; k-- {
				x = append(x, 6+r.NormFloat64())
			}
			start := len(x)
			for _, v := range q {
				for rep := 1 + r.IntN(2); rep > 0; rep-- {
					x = append(x, v+0.1*r.NormFloat64())
				}
			}
			planted = append(planted, [2]int{start, len(x)})
		}
		cost := []Cost{Squared, Absolute}[it%2]
		thr := 2.0
		if cost == Absolute {
			thr = 6
		}
		sp, err := NewSpring(q, thr, WithCost(cost))
		if err != nil {
			t.Fatal(err)
		}
		var got []SpringMatch
		for _, v := range x {
			got = sp.Push(got, v)
		}
		got = sp.Flush(got)
		all := subseqDTWAll(x, q, cost)
		eps := cost.Accumulated(thr)
		// Every reported match is exact and within the threshold; matches do not overlap.
		for k, g := range got {
			want := cost.Report(all[g.Start][g.End])
			if !close(g.Distance, want, 1e-9) || g.Distance > thr*(1+1e-12) {
				t.Fatalf("match %+v: exhaustive distance %v", g, want)
			}
			if k > 0 && g.Start < got[k-1].End {
				t.Fatalf("overlapping matches %+v %+v", got[k-1], g)
			}
		}
		// No false dismissal: every qualifying span overlaps a report at least as close.
		for s := range all {
			for e := s + 1; e <= len(x); e++ {
				if all[s][e] > eps {
					continue
				}
				ok := false
				for _, g := range got {
					if g.Start < e && s < g.End && cost.Accumulated(g.Distance) <= all[s][e]*(1+1e-9) {
						ok = true
					}
				}
				if !ok {
					t.Fatalf("span [%d,%d) at %v dismissed; reports %+v", s, e, all[s][e], got)
				}
			}
		}
		for _, p := range planted {
			found := false
			for _, g := range got {
				if g.Start < p[1] && p[0] < g.End {
					found = true
				}
			}
			if !found && cost.Report(all[p[0]][p[1]]) <= thr {
				t.Fatalf("planted %v not reported", p)
			}
		}
		if len(got) < len(planted) {
			t.Fatalf("%d matches for %d planted occurrences", len(got), len(planted))
		}
	}
}

// naiveSemiGlobal returns, for each end e (1..len(x)), the least edit distance between ref and
// a substring of x ending at e.
func naiveSemiGlobal(ref, x []int32) []int {
	m := len(ref)
	prev := make([]int, m+1)
	for i := range prev {
		prev[i] = i
	}
	cur := make([]int, m+1)
	out := make([]int, len(x)+1)
	out[0] = m
	for e, c := range x {
		cur[0] = 0
		for i := 1; i <= m; i++ {
			sub := 1
			if ref[i-1] == c {
				sub = 0
			}
			cur[i] = min(prev[i-1]+sub, prev[i]+1, cur[i-1]+1)
		}
		out[e+1] = cur[m]
		prev, cur = cur, prev
	}
	return out
}

func mutate(r *rand.Rand, x []int32, edits, alphabet int) []int32 {
	y := slices.Clone(x)
	for k := 0; k < edits && len(y) > 1; k++ {
		p := r.IntN(len(y))
		switch r.IntN(3) {
		case 0:
			y[p] = int32(r.IntN(alphabet))
		case 1:
			y = slices.Delete(y, p, p+1)
		default:
			y = slices.Insert(y, p, int32(r.IntN(alphabet)))
		}
	}
	return y
}

func TestStreamMatcherAcrossChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for it := 0; it < 40; it++ {
		alpha := 50 + r.IntN(500)
		var refs []Reference
		for k := 0; k < 1+r.IntN(3); k++ {
			m := 5 + r.IntN([]int{30, 200}[it%2])
			refs = append(refs, Reference{ID: string(rune('A' + k)), Tokens: randTokens(r, m, alpha), MaxDist: r.IntN(max(1, m/5))})
		}
		var stream []int32
		type plant struct{ ref, start, end int }
		var planted []plant
		for len(stream) < 1500 {
			stream = append(stream, randTokens(r, r.IntN(80), alpha)...)
			ri := r.IntN(len(refs))
			occ := mutate(r, refs[ri].Tokens, r.IntN(refs[ri].MaxDist+1)/2, alpha)
			planted = append(planted, plant{ri, len(stream), len(stream) + len(occ)})
			stream = append(stream, occ...)
		}
		var first []TextMatch
		for trial := 0; trial < 3; trial++ {
			sm, err := NewStreamMatcher(refs)
			if err != nil {
				t.Fatal(err)
			}
			var got []TextMatch
			for p := 0; p < len(stream); {
				n := 1 + r.IntN([]int{1, 7, 300}[trial])
				n = min(n, len(stream)-p)
				got = sm.Write(got, stream[p:p+n])
				p += n
			}
			got = sm.Flush(got)
			if trial == 0 {
				first = got
			} else if !slices.Equal(first, got) {
				t.Fatalf("chunking changed the matches:\n%v\n%v", first, got)
			}
		}
		for ri, ref := range refs {
			sg := naiveSemiGlobal(ref.Tokens, stream)
			var mine []TextMatch
			for _, g := range first {
				if g.Ref == ri {
					mine = append(mine, g)
				}
			}
			for k, g := range mine {
				if g.ID != ref.ID || g.Distance > ref.MaxDist || sg[g.End] != g.Distance {
					t.Fatalf("ref %d match %+v: naive best at end %d", ri, g, sg[g.End])
				}
				if d := naiveEdit(ref.Tokens, stream[g.Start:g.End]); d != g.Distance {
					t.Fatalf("ref %d match %+v: span edit distance %d", ri, g, d)
				}
				if k > 0 && g.Start < mine[k-1].End {
					t.Fatalf("overlap %+v %+v", mine[k-1], g)
				}
			}
			// No dismissal: every end within MaxDist is within an alignment's reach of a match.
			for e := 1; e <= len(stream); e++ {
				if sg[e] > ref.MaxDist {
					continue
				}
				ok := false
				for _, g := range mine {
					// An alignment ending at e is at most m+MaxDist long.
					if reach := len(ref.Tokens) + ref.MaxDist; e-reach < g.End && g.Start < e+reach {
						ok = true
					}
				}
				if !ok {
					t.Fatalf("ref %d: end %d at distance %d not covered by %+v", ri, e, sg[e], mine)
				}
			}
		}
		for _, p := range planted {
			found := false
			for _, g := range first {
				if g.Ref == p.ref && g.Start < p.end && p.start < g.End {
					found = true
				}
			}
			if !found {
				t.Fatalf("planted %+v of ref %d not found in %+v", p, p.ref, first)
			}
		}
	}
}

func TestStreamMatcherErrors(t *testing.T) {
	if _, err := NewStreamMatcher([]Reference{{ID: "x"}}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := NewStreamMatcher([]Reference{{ID: "x", Tokens: []int32{1, 2}, MaxDist: 2}}); !errors.Is(err, ErrOption) {
		t.Errorf("MaxDist: %v", err)
	}
}
