package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestTopKGuarantee checks the Space-Saving guarantees (Metwally et al. 2005, Lemmas 3.3-3.5)
// against exact counts on Zipf-distributed streams.
func TestTopKGuarantee(t *testing.T) {
	for _, k := range []int{1, 7, 64, 300} {
		for _, s := range []float64{1.1, 1.5, 3} {
			rng := rand.New(rand.NewPCG(uint64(k), math.Float64bits(s)))
			z := rand.NewZipf(rng, s, 1, 5000)
			tk := NewTopK(k)
			exact := map[uint64]uint64{}
			const n = 30000
			for range n {
				x := z.Uint64()
				exact[x]++
				tk.Inc(x, nil)
			}
			if tk.N() != n {
				t.Fatalf("N = %d", tk.N())
			}
			bound := uint64(n / k)
			if tk.Min() > bound {
				t.Errorf("k=%d s=%v: min counter %d > N/k %d", k, s, tk.Min(), bound)
			}
			tracked := map[uint64]bool{}
			top := tk.Top(nil)
			if !slices.IsSortedFunc(top, func(a, b HeavyHitter) int { return -cmpU(a.Count, b.Count) }) {
				t.Errorf("k=%d: Top not sorted", k)
			}
			var sum uint64
			for _, h := range top {
				tracked[h.Key] = true
				f := exact[h.Key]
				sum += h.Count
				if h.Count < f || h.Count-h.Err > f {
					t.Errorf("k=%d s=%v key %d: true %d not in [%d, %d]", k, s, h.Key, f, h.Count-h.Err, h.Count)
				}
				if h.Err > tk.Min() {
					t.Errorf("k=%d: err %d > min %d", k, h.Err, tk.Min())
				}
			}
			if sum != n && len(top) == k {
				t.Errorf("k=%d: counters sum to %d, want N = %d", k, sum, n)
			}
			for x, f := range exact {
				if f > bound && !tracked[x] {
					t.Errorf("k=%d s=%v: key %d with count %d > N/k = %d not tracked", k, s, x, f, bound)
				}
				if !tracked[x] && f > tk.Min() {
					t.Errorf("k=%d: untracked key %d has count %d > min %d", k, x, f, tk.Min())
				}
			}
		}
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTopKPayloadIsCopied(t *testing.T) {
	tk := NewTopK(1)
	buf := []string{"a", "b"}
	tk.Inc(1, buf)
	buf[0] = "z"
	top := tk.Top(nil)
	if strings.Join(top[0].Tokens, "") != "ab" {
		t.Fatalf("payload aliased: %v", top[0].Tokens)
	}
	tk.Inc(2, []string{"c"}) // replaces key 1
	if strings.Join(top[0].Tokens, "") != "ab" {
		t.Fatalf("earlier Top result modified: %v", top[0].Tokens)
	}
	c, e, ok := tk.Get(2)
	if !ok || c != 2 || e != 1 {
		t.Fatalf("Get(2) = %d %d %v", c, e, ok)
	}
}

// naivePatterns is the reference for the miner: exact per-window document counts of every
// n-gram, with no sketch.
func naiveDocCounts(windows [][]string, maxN int) map[string]uint64 {
	out := map[string]uint64{}
	for _, w := range windows {
		seen := map[string]bool{}
		for i := range w {
			for n := 1; n <= maxN && i+n <= len(w); n++ {
				k := strings.Join(w[i:i+n], "\x00")
				if !seen[k] {
					seen[k] = true
					out[k]++
				}
			}
		}
	}
	return out
}

func TestMinerCountsMatchNaive(t *testing.T) {
	// With more counters than distinct n-grams the summary is exact, so the miner's violating
	// counts must equal the naive reference's, and each n-gram's benign count must equal the
	// number of benign windows containing it after the first violating window that did.
	rng := rand.New(rand.NewPCG(7, 8))
	m, err := NewPatternMiner(MinerConfig{MaxN: 3, Window: 8, Counters: 1 << 16, MinCount: 1, MinLift: 1})
	if err != nil {
		t.Fatal(err)
	}
	var vw [][]string
	benign := map[string]uint64{} // benign windows containing it after admission
	admitted := map[string]bool{} // seen in a violating window
	benignSince := map[string]uint64{}
	var nb uint64
	for range 500 {
		n := 1 + rng.IntN(20)
		toks := make([]string, n)
		for i := range toks {
			toks[i] = fmt.Sprint("t", rng.IntN(6))
		}
		if rng.IntN(3) == 0 {
			at := rng.IntN(n + 3)
			m.Add(toks, at)
			end := min(at, n)
			w := toks[max(0, end-8):end]
			vw = append(vw, w)
			for k := range naiveDocCounts([][]string{w}, 3) {
				if !admitted[k] {
					admitted[k] = true
					benignSince[k] = nb
				}
			}
		} else {
			m.Add(toks, -1)
			nb++
			for k := range naiveDocCounts([][]string{toks[max(0, n-8):]}, 3) {
				if admitted[k] {
					benign[k]++
				}
			}
		}
	}
	want := naiveDocCounts(vw, 3)
	got := map[string]uint64{}
	for _, h := range m.viol.Top(nil) {
		if h.Err != 0 {
			t.Fatalf("unexpected error %d with ample counters", h.Err)
		}
		k := strings.Join(h.Tokens, "\x00")
		got[k] = h.Count
		s := m.viol.index.get(h.Key)
		if b := m.ben[s]; b.count != benign[k] || nb-b.start != nb-benignSince[k] {
			t.Errorf("%q: benign %d of %d, want %d of %d", k, b.count, nb-b.start, benign[k], nb-benignSince[k])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d n-grams, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: got %d want %d", k, got[k], v)
		}
	}
	v, b := m.Windows()
	if v != uint64(len(vw)) || b != nb {
		t.Errorf("windows %d/%d, want %d/%d", v, b, len(vw), nb)
	}
}

// plantedStream generates responses over a vocabulary; violating responses carry the planted
// trigram shortly before the violation. decoy is frequent everywhere.
func plantedResponse(rng *rand.Rand, violating bool) ([]string, int) {
	n := 30 + rng.IntN(40)
	toks := make([]string, n)
	for i := range toks {
		toks[i] = fmt.Sprint("w", rng.IntN(200))
		if rng.IntN(5) == 0 {
			toks[i] = "the" // the decoy: frequent in every window, not predictive
		}
	}
	if !violating {
		return toks, -1
	}
	at := 10 + rng.IntN(n-10)
	if rng.Float64() < 0.8 { // the pattern precedes 80% of violations
		p := at - 3 - rng.IntN(5)
		if p >= 0 {
			copy(toks[p:], []string{"ignore", "previous", "instructions"})
		}
	}
	return toks, at
}

func TestMinerFindsPlantedPattern(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m, err := NewPatternMiner(MinerConfig{Counters: 256})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		toks, at := plantedResponse(rng, i%10 == 0)
		m.Add(toks, at)
	}
	ps := m.Patterns(nil)
	if len(ps) == 0 {
		t.Fatal("no pattern mined")
	}
	if got := strings.Join(ps[0].Tokens, " "); !strings.Contains("ignore previous instructions", got) {
		t.Errorf("top pattern %q, want a part of the planted trigram", got)
	}
	for _, p := range ps {
		s := strings.Join(p.Tokens, " ")
		if !strings.Contains("ignore previous instructions", s) {
			t.Errorf("non-planted pattern %q proposed (lift %.2f)", s, p.Lift)
		}
		if p.Lift < 3 {
			t.Errorf("pattern %q with lift %.2f < MinLift", s, p.Lift)
		}
	}
	found := false
	for _, p := range ps {
		found = found || strings.Join(p.Tokens, " ") == "ignore previous instructions"
	}
	if !found {
		t.Error("the full planted trigram is not among the patterns")
	}
}

func TestMinerConfigErrors(t *testing.T) {
	for _, c := range []MinerConfig{{MaxN: 6}, {Window: 300}, {Counters: -1}, {MinLift: 0.5}} {
		if _, err := NewPatternMiner(c); err == nil {
			t.Errorf("%+v: want error", c)
		}
	}
}

// TestKeyTableMatchesMap drives the open-addressing table and a Go map with the same random
// inserts and deletes over a small key space (many collisions, long probe runs).
func TestKeyTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	var h keyTable
	h.init(64)
	ref := map[uint64]int32{}
	for i := range 200000 {
		// Keys collide on purpose: few distinct high bits.
		k := uint64(rng.IntN(200)) << 44
		switch {
		case rng.IntN(2) == 0 && len(ref) < 64:
			h.put(k, int32(i))
			ref[k] = int32(i)
		default:
			h.del(k)
			delete(ref, k)
		}
		if i%97 == 0 {
			for kk := uint64(0); kk < 200; kk++ {
				want, ok := ref[kk<<44]
				got := h.get(kk << 44)
				if (got >= 0) != ok || (ok && got != want) {
					t.Fatalf("step %d key %d: got %d, want %d (%v)", i, kk, got, want, ok)
				}
			}
		}
	}
}
