package forecast

import (
	"fmt"
	"math"
)

// Brier returns the Brier score (Brier, Monthly Weather Review 78, 1950) of probability
// forecasts p for binary outcomes y: the mean of (p_i − y_i)². 0 is perfect, 0.25 is what
// always saying 0.5 scores. It panics if the lengths differ and returns an error for no
// forecasts or a probability outside [0, 1].
func Brier(p []float64, y []bool) (float64, error) {
	if len(p) != len(y) {
		panic("forecast: Brier: lengths differ")
	}
	if len(p) == 0 {
		return 0, fmt.Errorf("%w: no forecasts", ErrNoData)
	}
	s := 0.0
	for i, x := range p {
		if !(x >= 0 && x <= 1) {
			return 0, fmt.Errorf("%w: forecast %d is %v, outside [0, 1]", ErrInvalid, i, x)
		}
		d := x
		if y[i] {
			d = x - 1
		}
		s += d * d
	}
	return s / float64(len(p)), nil
}

// Bin is one bar of a reliability diagram.
type Bin struct {
	Lo, Hi float64 // forecast range [Lo, Hi)
	N      int     // forecasts in the range
	MeanP  float64 // their mean forecast
	Freq   float64 // the share of them whose outcome was a violation
}

// Report measures a forecast on held-out traces: every step of every trace is one forecast
// of that trace's outcome.
type Report struct {
	N         int     // forecasts scored
	Brier     float64 // Brier score of the forecast
	BaseBrier float64 // Brier score of always forecasting the base rate
	// Skill is 1 − Brier/BaseBrier: above 0 the forecast beats the base rate.
	Skill float64
	// ECE is the expected calibration error: Σ N_b/N · |MeanP_b − Freq_b| over the bins.
	ECE  float64
	Bins []Bin
}

// Evaluate scores f on traces with bins equal-width reliability bins (10 if bins < 1).
func Evaluate(f *Forecast, traces []Trace, bins int) (Report, error) {
	if bins < 1 {
		bins = 10
	}
	var p, base []float64
	var y []bool
	for _, t := range traces {
		for i, s := range t.States {
			p = append(p, f.Predict(s, i).P)
			base = append(base, f.base)
			y = append(y, t.Violated)
		}
	}
	r := Report{N: len(p)}
	var err error
	if r.Brier, err = Brier(p, y); err != nil {
		return r, err
	}
	if r.BaseBrier, err = Brier(base, y); err != nil {
		return r, err
	}
	if r.BaseBrier > 0 {
		r.Skill = 1 - r.Brier/r.BaseBrier
	}
	r.Bins = make([]Bin, bins)
	for b := range r.Bins {
		r.Bins[b].Lo, r.Bins[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, x := range p {
		b := min(int(x*float64(bins)), bins-1)
		r.Bins[b].N++
		r.Bins[b].MeanP += x
		if y[i] {
			r.Bins[b].Freq++
		}
	}
	for b := range r.Bins {
		if n := float64(r.Bins[b].N); n > 0 {
			r.Bins[b].MeanP /= n
			r.Bins[b].Freq /= n
			r.ECE += n / float64(r.N) * math.Abs(r.Bins[b].MeanP-r.Bins[b].Freq)
		}
	}
	return r, nil
}
