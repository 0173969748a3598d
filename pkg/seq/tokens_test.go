package seq

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randTokens(r *rand.Rand, n, alphabet int) []int32 {
	x := make([]int32, n)
	for i := range x {
		x[i] = int32(r.IntN(alphabet)) * 7919 // spread ids so hashing is exercised
	}
	return x
}

func TestTokenAlgorithmsAgreeWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	al := &Aligner{}
	for it := 0; it < 1500; it++ {
		var n, m int
		if it%15 == 0 {
			n, m = r.IntN(301), r.IntN(301)
		} else {
			n, m = r.IntN(140), r.IntN(140)
		}
		alpha := []int{1, 2, 4, 26, 1000}[it%5]
		a, b := randTokens(r, n, alpha), randTokens(r, m, alpha)
		if it%7 == 0 && n > 0 { // b close to a: long common runs
			b = append(slices.Clone(a[:n/2]), b...)
		}
		wantL := naiveLCS(a, b)
		if got := al.LCSLength(a, b); got != wantL {
			t.Fatalf("LCSLength n=%d m=%d alpha=%d: got %d want %d", len(a), len(b), alpha, got, wantL)
		}
		sub, err := al.LCS(nil, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(sub) != wantL || !isSubsequence(sub, a) || !isSubsequence(sub, b) {
			t.Fatalf("LCS n=%d m=%d: %v (len %d, want %d) not common", len(a), len(b), sub, len(sub), wantL)
		}
		if got, want := al.EditDistance(a, b), naiveEdit(a, b); got != want {
			t.Fatalf("EditDistance n=%d m=%d alpha=%d: got %d want %d", len(a), len(b), alpha, got, want)
		}
		if got, want := al.lcsDP(a, b), wantL; len(a) <= len(b) && got != want {
			t.Fatalf("lcsDP: got %d want %d", got, want)
		}
		if len(a) <= len(b) {
			if got, want := al.editDP(a, b), naiveEdit(a, b); got != want {
				t.Fatalf("editDP: got %d want %d", got, want)
			}
		}
		for _, w := range []int{-1, 0, 2, n / 10} {
			if got, want := TokenDTW(a, b, w), naiveTokenDTW(a, b, w); got != want && !(want == -1 && got == -1) {
				t.Fatalf("TokenDTW n=%d m=%d w=%d: got %d want %d", n, m, w, got, want)
			}
		}
	}
}

func TestTokenGenericStrings(t *testing.T) {
	a := []string{"the", "cat", "sat", "on", "the", "mat"}
	b := []string{"the", "dog", "sat", "on", "a", "mat"}
	if got := LCSLength(a, b); got != 4 {
		t.Errorf("LCSLength = %d, want 4", got)
	}
	sub, err := LCS(a, b)
	if err != nil || !slices.Equal(sub, []string{"the", "sat", "on", "mat"}) {
		t.Errorf("LCS = %v, %v", sub, err)
	}
	if got := EditDistance(a, b); got != 2 {
		t.Errorf("EditDistance = %d, want 2", got)
	}
	if got := EditDistance([]byte("kitten"), []byte("sitting")); got != 3 {
		t.Errorf("kitten/sitting = %d, want 3", got)
	}
	if got := TokenDTW(a, b, -1); got != 2 {
		t.Errorf("TokenDTW = %d, want 2", got)
	}
	if got := TokenEuclidean(a, b); math.Abs(got-math.Sqrt2) > 1e-15 {
		t.Errorf("TokenEuclidean = %v", got)
	}
}

func TestLCSTooLarge(t *testing.T) {
	al := &Aligner{}
	a := make([]int32, 1<<16)
	b := make([]int32, 1<<16)
	if _, err := al.LCS(nil, a, b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestAlignerFallsBackToDP(t *testing.T) {
	// A pattern of 16500 distinct tokens needs 16500×258 words of masks, over the 2^22 cap.
	a := make([]int32, 16500)
	for i := range a {
		a[i] = int32(i)
	}
	if _, ok := (&Aligner{}).prepare(a, a); ok {
		t.Fatal("expected the tables to exceed the cap")
	}
	// With a tiny cap every call takes the DP path, which must agree with the naive DP.
	r := rand.New(rand.NewPCG(13, 14))
	al := &Aligner{peqCap: 1}
	for it := 0; it < 300; it++ {
		// Two extra distinct tokens make the tables at least 2 words, over the cap of 1.
		x := append(randTokens(r, r.IntN(100), 8), -5, -6)
		y := append(randTokens(r, r.IntN(100), 8), -5, -6)
		if _, ok := al.prepare(x, x); ok {
			t.Fatal("cap not applied")
		}
		if got, want := al.EditDistance(x, y), naiveEdit(x, y); got != want {
			t.Fatalf("EditDistance = %d, want %d", got, want)
		}
		if got, want := al.LCSLength(x, y), naiveLCS(x, y); got != want {
			t.Fatalf("LCSLength = %d, want %d", got, want)
		}
	}
}
