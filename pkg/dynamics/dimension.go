package dynamics

import "math"

// DimensionEstimate is the outcome of embedding-dimension selection.
type DimensionEstimate struct {
	Dim int `json:"dimension"`
	// Method is "fnn" when the fraction of false nearest neighbours fell below the
	// threshold, "cao" when it did not but Cao's E1 saturated, "max_dimension" when neither
	// happened (typical of noise), or "given".
	Method string `json:"method"`
	// FNN[m-1] is the fraction of false nearest neighbours going from dimension m to m+1
	// (Kennel, Brown & Abarbanel 1992, with R_tol = 15 and A_tol = 2).
	FNN []float64 `json:"fnn,omitempty"`
	// E1[m-1] and E2[m-1] are Cao's (1997) ratios E(m+1)/E(m) and E*(m+1)/E*(m). E1
	// saturates near 1 at the embedding dimension of deterministic data; E2 stays near 1
	// for every m on random data.
	E1 []float64 `json:"e1,omitempty"`
	E2 []float64 `json:"e2,omitempty"`
}

// Thresholds of the dimension selection: a dimension is enough when fewer than
// fnnThreshold of neighbours are false, or (Cao) when E1 changes by less than
// caoThreshold from one dimension to the next while close to 1.
const (
	fnnRtol      = 15
	fnnAtol      = 2
	fnnThreshold = 0.02
	caoThreshold = 0.05
)

// SelectDimension estimates the embedding dimension of x with delay tau, testing
// m = 1..maxDim, by false nearest neighbours (Kennel et al. 1992) and Cao's method (Cao
// 1997) computed on the same neighbours. Temporal neighbours closer than theiler samples
// are excluded. Nearest neighbours are found with a kd-tree, O(n log n) per dimension.
func SelectDimension(x []float64, tau, maxDim, theiler int) (DimensionEstimate, error) {
	if maxDim < 1 {
		return DimensionEstimate{}, &ParamError{Name: "max dimension", Value: maxDim, Why: "must be at least 1"}
	}
	if tau < 1 {
		return DimensionEstimate{}, &ParamError{Name: "delay", Value: tau, Why: "must be at least 1"}
	}
	if err := checkSeries(x, (maxDim+1)*tau+16); err != nil {
		return DimensionEstimate{}, err
	}
	_, v := meanVar(x)
	ra := math.Sqrt(v)
	fnn := make([]float64, maxDim)
	e := make([]float64, maxDim+1)  // Cao's E(m)
	es := make([]float64, maxDim+1) // Cao's E*(m)
	var tree kdTree
	q := make([]float64, maxDim+1)
	for m := 1; m <= maxDim+1; m++ {
		emb, _ := NewEmbedding(x, m, tau)
		// Points that have an (m+1)-th coordinate.
		np := len(x) - m*tau
		if np < 2*theiler+4 {
			return DimensionEstimate{}, &SeriesError{Index: -1, N: len(x), Need: m*tau + 2*theiler + 4, Err: ErrTooShort}
		}
		tree.reset(emb, np)
		var nFalse, nPairs int
		var sa, ss float64
		for i := 0; i < np; i++ {
			qq := emb.Point(q[:m], i)
			j, d2 := tree.nearest(qq, i, theiler)
			if j < 0 {
				continue
			}
			extra := math.Abs(x[i+m*tau] - x[j+m*tau])
			rm := math.Sqrt(d2)
			nPairs++
			if extra > fnnRtol*rm || math.Sqrt(d2+extra*extra) > fnnAtol*ra {
				nFalse++
			}
			sa += math.Sqrt(d2+extra*extra) / rm
			ss += extra
		}
		if nPairs == 0 {
			return DimensionEstimate{}, &SeriesError{Index: -1, N: len(x), Err: ErrNoFit}
		}
		if m <= maxDim {
			fnn[m-1] = float64(nFalse) / float64(nPairs)
		}
		e[m-1] = sa / float64(nPairs)
		es[m-1] = ss / float64(nPairs)
		if m >= 2 && fnn[m-2] < fnnThreshold {
			// Dimension m-1 is enough; E(m) completes Cao's E1(m-1). Higher dimensions
			// would only cost time.
			fnn, e1len := fnn[:m-1], m-1
			est := DimensionEstimate{Dim: m - 1, Method: "fnn", FNN: fnn, E1: make([]float64, e1len), E2: make([]float64, e1len)}
			caoRatios(est.E1, est.E2, e, es)
			for d := 1; d <= m-1; d++ {
				if fnn[d-1] < fnnThreshold {
					est.Dim = d
					break
				}
			}
			return est, nil
		}
	}
	// E(m) uses points up to dimension m+1, so E1(m) = E(m+1)/E(m) is known for m < maxDim+1.
	e1 := make([]float64, maxDim)
	e2 := make([]float64, maxDim)
	caoRatios(e1, e2, e, es)
	est := DimensionEstimate{FNN: fnn, E1: e1, E2: e2}
	for m := 1; m <= maxDim; m++ {
		if fnn[m-1] < fnnThreshold {
			est.Dim, est.Method = m, "fnn"
			return est, nil
		}
	}
	for m := 1; m < maxDim; m++ {
		if e1[m-1] > 1-2*caoThreshold && math.Abs(e1[m]-e1[m-1]) < caoThreshold {
			// E1 stops changing beyond d0 = m; the minimum dimension is d0 + 1.
			est.Dim, est.Method = min(m+1, maxDim), "cao"
			return est, nil
		}
	}
	est.Dim, est.Method = maxDim, "max_dimension"
	return est, nil
}

// caoRatios fills E1(m) = E(m+1)/E(m) and E2(m) = E*(m+1)/E*(m) for m = 1..len(e1).
func caoRatios(e1, e2, e, es []float64) {
	for m := 1; m <= len(e1); m++ {
		e1[m-1] = e[m] / e[m-1]
		e2[m-1] = es[m] / max(es[m-1], math.SmallestNonzeroFloat64)
	}
}
