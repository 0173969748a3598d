package dynamics

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// UnitRootTest is the outcome of the augmented Dickey–Fuller test (with a constant, no
// trend) of the null hypothesis that the series has a unit root, i.e. wanders like a
// random walk instead of returning to a bounded set.
type UnitRootTest struct {
	Stat float64 `json:"stat"` // t-statistic of the lagged level
	Lags int     `json:"lags"` // lagged differences in the regression
	// PValue is interpolated in Fuller's (1976, Table 8.5.2, n = ∞) quantiles of the
	// Dickey–Fuller τ_μ distribution and clamped to [0.01, 0.99].
	PValue float64 `json:"p_value"`
	// UnitRoot is true when the null is not rejected at the analysis' alpha.
	UnitRoot bool `json:"unit_root"`
}

// Quantiles of the Dickey–Fuller τ_μ statistic (constant, no trend), n = ∞: Fuller,
// Introduction to Statistical Time Series (1976), Table 8.5.2.
var dfProbs = [...]float64{0.01, 0.025, 0.05, 0.10, 0.90, 0.95, 0.975, 0.99}
var dfQuant = [...]float64{-3.43, -3.12, -2.86, -2.57, -0.44, -0.07, 0.23, 0.60}

// TestUnitRoot runs the augmented Dickey–Fuller regression
// Δx[t] = a + b·x[t-1] + Σ_{i=1..p} c_i Δx[t-i] + e[t] with p = ⌊12 (n/100)^¼⌋ lags
// (Schwert 1989) and tests b = 0 against b < 0. A bounded attractor (fixed point, cycle,
// chaos) is stationary and rejects the unit root; a random walk does not. Surrogate tests
// based on Fourier transforms assume stationarity, so a series with a unit root must not
// reach them.
func TestUnitRoot(x []float64, alpha float64) UnitRootTest {
	n := len(x)
	p := int(12 * math.Pow(float64(n)/100, 0.25))
	p = min(p, n/10)
	rows := n - p - 1
	res := UnitRootTest{Lags: p, PValue: 1, UnitRoot: true}
	if rows < p+10 {
		return res
	}
	cols := p + 2
	X := mat.NewDense(rows, cols, nil)
	y := mat.NewVecDense(rows, nil)
	for r := 0; r < rows; r++ {
		t := r + p + 1
		y.SetVec(r, x[t]-x[t-1])
		X.Set(r, 0, 1)
		X.Set(r, 1, x[t-1])
		for i := 1; i <= p; i++ {
			X.Set(r, 1+i, x[t-i]-x[t-i-1])
		}
	}
	var qr mat.QR
	qr.Factorize(X)
	var beta mat.VecDense
	if err := qr.SolveVecTo(&beta, false, y); err != nil {
		return res
	}
	var fit mat.VecDense
	fit.MulVec(X, &beta)
	var ssr float64
	for r := 0; r < rows; r++ {
		e := y.AtVec(r) - fit.AtVec(r)
		ssr += e * e
	}
	s2 := ssr / float64(rows-cols)
	// Var(b) = s² [(XᵀX)⁻¹]_11 = s² [R⁻¹ R⁻ᵀ]_11.
	var Rd mat.Dense
	qr.RTo(&Rd)
	R := mat.NewTriDense(cols, mat.Upper, nil)
	for i := 0; i < cols; i++ {
		for j := i; j < cols; j++ {
			R.SetTri(i, j, Rd.At(i, j))
		}
	}
	var Rinv mat.TriDense
	if err := Rinv.InverseTri(R); err != nil {
		return res
	}
	var v float64
	for j := 0; j < cols; j++ {
		a := Rinv.At(1, j)
		v += a * a
	}
	se := math.Sqrt(s2 * v)
	if se == 0 || math.IsNaN(se) {
		return res
	}
	res.Stat = beta.AtVec(1) / se
	res.PValue = dfPValue(res.Stat)
	res.UnitRoot = res.PValue > alpha
	return res
}

// dfPValue interpolates the lower-tail probability of a τ_μ statistic linearly between
// tabulated quantiles.
func dfPValue(s float64) float64 {
	if s <= dfQuant[0] {
		return dfProbs[0]
	}
	for i := 1; i < len(dfQuant); i++ {
		if s <= dfQuant[i] {
			f := (s - dfQuant[i-1]) / (dfQuant[i] - dfQuant[i-1])
			return dfProbs[i-1] + f*(dfProbs[i]-dfProbs[i-1])
		}
	}
	return dfProbs[len(dfProbs)-1]
}
