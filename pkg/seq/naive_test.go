package seq

import "math"

// Naive reference implementations: full matrices, textbook recurrences, no pruning. Every fast
// algorithm in this package is checked against these on random inputs.

func naiveDTW(a, b []float64, window int, cost Cost) float64 {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		if n == m {
			return 0
		}
		return math.Inf(1)
	}
	w := window
	if w < 0 {
		w = n + m
	}
	w = max(w, abs(n-m))
	D := make([][]float64, n+1)
	for i := range D {
		D[i] = make([]float64, m+1)
		for j := range D[i] {
			D[i][j] = math.Inf(1)
		}
	}
	D[0][0] = 0
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			if abs(i-j) > w {
				continue
			}
			var c float64
			if cost == Absolute {
				c = math.Abs(a[i-1] - b[j-1])
			} else {
				c = (a[i-1] - b[j-1]) * (a[i-1] - b[j-1])
			}
			D[i][j] = c + math.Min(D[i-1][j-1], math.Min(D[i-1][j], D[i][j-1]))
		}
	}
	return cost.Report(D[n][m])
}

func naiveTokenDTW[T comparable](a, b []T, window int) int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		if n == m {
			return 0
		}
		return -1
	}
	w := window
	if w < 0 {
		w = n + m
	}
	w = max(w, abs(n-m))
	const inf = math.MaxInt32
	D := make([][]int, n+1)
	for i := range D {
		D[i] = make([]int, m+1)
		for j := range D[i] {
			D[i][j] = inf
		}
	}
	D[0][0] = 0
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			if abs(i-j) > w {
				continue
			}
			c := 0
			if a[i-1] != b[j-1] {
				c = 1
			}
			D[i][j] = c + min(D[i-1][j-1], D[i-1][j], D[i][j-1])
		}
	}
	return D[n][m]
}

func naiveLCS[T comparable](a, b []T) int {
	L := make([][]int, len(a)+1)
	for i := range L {
		L[i] = make([]int, len(b)+1)
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				L[i][j] = L[i-1][j-1] + 1
			} else {
				L[i][j] = max(L[i-1][j], L[i][j-1])
			}
		}
	}
	return L[len(a)][len(b)]
}

func naiveEdit[T comparable](a, b []T) int {
	D := make([][]int, len(a)+1)
	for i := range D {
		D[i] = make([]int, len(b)+1)
		D[i][0] = i
	}
	for j := range D[0] {
		D[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			D[i][j] = min(D[i-1][j-1]+c, D[i-1][j]+1, D[i][j-1]+1)
		}
	}
	return D[len(a)][len(b)]
}

// isSubsequence reports whether s is a subsequence of x.
func isSubsequence[T comparable](s, x []T) bool {
	k := 0
	for _, v := range x {
		if k < len(s) && s[k] == v {
			k++
		}
	}
	return k == len(s)
}
