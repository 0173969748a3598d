package learn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Evaluator returns the utility (higher is better) of recorded response i under configuration
// cfg: for instance +1 for a correct decision and -cost for a wrong one, judged against the
// response's feedback labels. It must be deterministic for a given cfg and i.
type Evaluator func(cfg Config, i int) (float64, error)

// ShadowResult is a paired comparison of the current and a proposed configuration over the same
// recorded responses.
type ShadowResult struct {
	N         int
	MeanCur   float64 // mean utility under the current configuration
	MeanProp  float64 // mean utility under the proposed configuration
	MeanDiff  float64 // mean of the per-response differences (proposed - current)
	SE        float64 // standard error of MeanDiff
	Lower     float64 // one-sided 95% lower confidence bound of the mean difference
	Upper     float64 // one-sided 95% upper confidence bound
	Margin    float64 // the improvement required
	Accept    bool    // Lower > Margin: the proposal helps by the margin
	Degrades  bool    // Upper < 0: the proposal is measurably worse
	Responses string  // optional description of the sample, set by the caller
}

// MinShadowN is the smallest sample a shadow evaluation accepts.
const MinShadowN = 2

// ShadowCompare evaluates cur and prop on responses 0..n-1 and runs a one-sided paired t-test
// on the differences (Student's t with n-1 degrees of freedom): the proposal is accepted when the
// 95% lower confidence bound of the mean improvement exceeds margin. Pairing removes the
// between-response variance, so small real improvements are seen on a few hundred responses.
// It returns an error wrapping ErrNumeric if n < MinShadowN, and the evaluator's first error.
func ShadowCompare(cur, prop Config, n int, eval Evaluator, margin float64) (ShadowResult, error) {
	if n < MinShadowN {
		return ShadowResult{}, fmt.Errorf("%w: shadow evaluation needs at least %d responses, got %d", ErrNumeric, MinShadowN, n)
	}
	if math.IsNaN(margin) || math.IsInf(margin, 0) {
		return ShadowResult{}, &InputError{Field: "margin", Reason: "not finite"}
	}
	var dm, cm, pm Moments
	for i := range n {
		uc, err := eval(cur, i)
		if err != nil {
			return ShadowResult{}, fmt.Errorf("learn: shadow evaluation of response %d (current): %w", i, err)
		}
		up, err := eval(prop, i)
		if err != nil {
			return ShadowResult{}, fmt.Errorf("learn: shadow evaluation of response %d (proposed): %w", i, err)
		}
		if math.IsNaN(uc) || math.IsNaN(up) || math.IsInf(uc, 0) || math.IsInf(up, 0) {
			return ShadowResult{}, fmt.Errorf("%w: evaluator returned a non-finite utility for response %d", ErrNumeric, i)
		}
		cm.Add(uc)
		pm.Add(up)
		dm.Add(up - uc)
	}
	se := math.Sqrt(dm.Var() / float64(n))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.95)
	r := ShadowResult{
		N: n, MeanCur: cm.Mean(), MeanProp: pm.Mean(), MeanDiff: dm.Mean(), SE: se,
		Lower: dm.Mean() - t*se, Upper: dm.Mean() + t*se, Margin: margin,
	}
	r.Accept = r.Lower > margin
	r.Degrades = r.Upper < 0
	return r, nil
}

// Moments accumulates count, mean and variance with Welford's update, which stays accurate
// when the mean is large compared with the spread.
type Moments struct {
	N    uint64
	mean float64
	m2   float64
}

// Add records x.
func (m *Moments) Add(x float64) {
	m.N++
	d := x - m.mean
	m.mean += d / float64(m.N)
	m.m2 += d * (x - m.mean)
}

// Mean returns the sample mean (NaN if empty).
func (m *Moments) Mean() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.mean
}

// Var returns the unbiased sample variance (NaN with fewer than two samples).
func (m *Moments) Var() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	return m.m2 / float64(m.N-1)
}

// WelchBounds returns the one-sided 95% lower confidence bound of mean(after) - mean(before) by
// Welch's unequal-variance t-test with the Welch–Satterthwaite degrees of freedom, and the
// upper bound. It returns an error wrapping ErrNumeric if either sample has fewer than two
// values.
func WelchBounds(before, after Moments) (lo, hi float64, err error) {
	if before.N < 2 || after.N < 2 {
		return 0, 0, fmt.Errorf("%w: Welch test needs two samples of at least 2", ErrNumeric)
	}
	va := after.Var() / float64(after.N)
	vb := before.Var() / float64(before.N)
	d := after.Mean() - before.Mean()
	se := math.Sqrt(va + vb)
	if se == 0 {
		return d, d, nil
	}
	df := (va + vb) * (va + vb) / (va*va/float64(after.N-1) + vb*vb/float64(before.N-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.95)
	return d - t*se, d + t*se, nil
}
