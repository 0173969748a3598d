package dynamics

import "math"

// LineFit is a least-squares line y = Intercept + Slope·x over the points Lo..Hi-1 of a
// curve.
type LineFit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	Lo        int     `json:"lo"` // first index used
	Hi        int     `json:"hi"` // one past the last index used
	// R2 is the coefficient of determination of the fit; RMS the root mean square residual
	// in the curve's units.
	R2  float64 `json:"r2"`
	RMS float64 `json:"rms"`
}

// prefix holds cumulative sums for O(1) least-squares fits over any index range of a
// curve whose points may be missing (NaN).
type prefix struct {
	n, sx, sy, sxx, sxy, syy []float64
}

func newPrefix(xs, ys []float64) *prefix {
	k := len(ys)
	p := &prefix{
		n: make([]float64, k+1), sx: make([]float64, k+1), sy: make([]float64, k+1),
		sxx: make([]float64, k+1), sxy: make([]float64, k+1), syy: make([]float64, k+1),
	}
	for i, y := range ys {
		p.n[i+1], p.sx[i+1], p.sy[i+1] = p.n[i], p.sx[i], p.sy[i]
		p.sxx[i+1], p.sxy[i+1], p.syy[i+1] = p.sxx[i], p.sxy[i], p.syy[i]
		if math.IsNaN(y) {
			continue
		}
		x := xs[i]
		p.n[i+1]++
		p.sx[i+1] += x
		p.sy[i+1] += y
		p.sxx[i+1] += x * x
		p.sxy[i+1] += x * y
		p.syy[i+1] += y * y
	}
	return p
}

// fit returns the least-squares line over indices [lo, hi) and the number of points used.
func (p *prefix) fit(lo, hi int) (LineFit, int) {
	n := p.n[hi] - p.n[lo]
	f := LineFit{Lo: lo, Hi: hi}
	if n < 2 {
		return f, int(n)
	}
	sx, sy := p.sx[hi]-p.sx[lo], p.sy[hi]-p.sy[lo]
	sxx := p.sxx[hi] - p.sxx[lo] - sx*sx/n
	sxy := p.sxy[hi] - p.sxy[lo] - sx*sy/n
	syy := p.syy[hi] - p.syy[lo] - sy*sy/n
	if sxx <= 0 {
		return f, int(n)
	}
	f.Slope = sxy / sxx
	f.Intercept = (sy - f.Slope*sx) / n
	ssr := max(syy-f.Slope*sxy, 0)
	f.RMS = math.Sqrt(ssr / n)
	if syy > 0 {
		f.R2 = 1 - ssr/syy
	} else {
		f.R2 = 1
	}
	return f, int(n)
}

// bestLinear finds the straight stretch of a curve: among index windows [lo, hi) with at
// least minLen points whose x-span is at least minSpan and whose RMS residual is at most
// tol, the one with the largest |rise| = |slope|·x-span. Maximising the rise rather than
// the length keeps the fit off the flat saturation plateau of a divergence curve (long,
// straight, and uninformative) and, because the residual bound rejects windows that
// straddle a bend, off the steep initial transient of flows. If no window meets tol,
// it returns the window with the smallest residual among those of minimum size and
// ok = false.
const bestLinearGrid = 160

func bestLinear(xs, ys []float64, lo, hi, minLen int, minSpan, tol float64) (best LineFit, ok bool) {
	p := newPrefix(xs, ys)
	bestRise := -1.0
	fallback := LineFit{RMS: inf}
	// Long curves are searched on a grid of at most ~bestLinearGrid window ends, which
	// bounds the cost at O(grid²) fits and changes the chosen window by less than a step.
	step := max(1, (hi-lo)/bestLinearGrid)
	for a := lo; a < hi; a += step {
		for b := a + minLen; b <= hi; b += step {
			if xs[b-1]-xs[a] < minSpan {
				continue
			}
			f, n := p.fit(a, b)
			if n < minLen {
				continue
			}
			if f.RMS > tol {
				if f.RMS < fallback.RMS {
					fallback = f
				}
				continue
			}
			rise := math.Abs(f.Slope) * (xs[b-1] - xs[a])
			if rise > bestRise || (rise == bestRise && f.RMS < best.RMS) {
				best, bestRise = f, rise
			}
		}
	}
	if bestRise >= 0 {
		return best, true
	}
	return fallback, false
}
