package dynamics

import (
	"math"
	"math/rand/v2"
)

// AMI computes the average mutual information (in nats) between x[t] and x[t+τ] for
// τ = 0..maxLag, with x binned into equiprobable (rank) bins. Rank binning makes the
// marginals uniform, which removes the dependence on outliers and on the value scale.
// It returns a slice of maxLag+1 values.
func AMI(x []float64, maxLag, bins int) []float64 {
	b := rankBins(x, bins)
	out := make([]float64, maxLag+1)
	joint := make([]float64, bins*bins)
	for lag := range out {
		out[lag] = miBinned(joint, b, b, lag, bins)
	}
	return out
}

func rankBins(x []float64, bins int) []int {
	r := ranks(x)
	n := len(x)
	for i, k := range r {
		r[i] = k * bins / n
	}
	return r
}

// miBinned returns the mutual information of a[t] and b[t+lag] given bin labels.
func miBinned(joint []float64, a, b []int, lag, bins int) float64 {
	n := len(a) - lag
	if n <= 0 {
		return 0
	}
	clear(joint)
	for t := 0; t < n; t++ {
		joint[a[t]*bins+b[t+lag]]++
	}
	pa := make([]float64, bins)
	pb := make([]float64, bins)
	for i := 0; i < bins; i++ {
		for j := 0; j < bins; j++ {
			c := joint[i*bins+j]
			pa[i] += c
			pb[j] += c
		}
	}
	var mi float64
	fn := float64(n)
	for i := 0; i < bins; i++ {
		for j := 0; j < bins; j++ {
			c := joint[i*bins+j]
			if c > 0 {
				mi += c / fn * math.Log(c*fn/(pa[i]*pb[j]))
			}
		}
	}
	return mi
}

// DelayEstimate is the outcome of delay selection.
type DelayEstimate struct {
	Delay int `json:"delay"`
	// Method is "ami_minimum" when the first real minimum of the mutual information was
	// taken, "autocorrelation" when there was none and the first lag where the
	// autocorrelation falls below 1/e was taken instead, "max_delay" when neither happened
	// within the lags searched, or "given".
	Method string `json:"method"`
	// AMI holds the mutual information by lag (0..max lag), in nats.
	AMI []float64 `json:"ami,omitempty"`
	// NoiseMean and NoiseSD describe the mutual information of shuffled copies of the
	// series: the estimator's level for independent values at this length and bin count.
	NoiseMean float64 `json:"noise_mean"`
	NoiseSD   float64 `json:"noise_sd"`
}

// amiShuffles is the number of shuffled copies used to estimate the estimator's noise.
const amiShuffles = 8

// SelectDelay chooses the embedding delay by the first minimum of the average mutual
// information (Fraser & Swinney 1986), keeping a minimum only when it is real: the mutual
// information there is still above the level of shuffled data (mean + 3 SD) and rises
// again by more than 3 SD of that level within one more delay. Minima that fail the test
// are histogram noise (maps show them once the information has decayed to the floor); when
// no minimum is real the delay is the first lag where the autocorrelation falls below 1/e,
// which is 1 for maps and white noise. maxLag bounds the search; seed fixes the shuffles.
func SelectDelay(x []float64, maxLag int, seed uint64) (DelayEstimate, error) {
	if err := checkSeries(x, 16); err != nil {
		return DelayEstimate{}, err
	}
	if maxLag < 1 {
		return DelayEstimate{}, &ParamError{Name: "max delay", Value: maxLag, Why: "must be at least 1"}
	}
	maxLag = min(maxLag, len(x)/4)
	maxLag = max(maxLag, 1)
	bins := amiBins(len(x))
	lab := rankBins(x, bins)
	joint := make([]float64, bins*bins)
	ami := make([]float64, maxLag+1)
	for lag := range ami {
		ami[lag] = miBinned(joint, lab, lab, lag, bins)
	}
	// Noise level: mutual information between the series and shuffled copies of itself.
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sh := make([]int, len(lab))
	copy(sh, lab)
	var s, s2 float64
	for k := 0; k < amiShuffles; k++ {
		rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		v := miBinned(joint, lab[:len(lab)-1], sh[1:], 0, bins)
		s += v
		s2 += v * v
	}
	nm := s / amiShuffles
	nsd := math.Sqrt(max(s2/amiShuffles-nm*nm, 0))
	est := DelayEstimate{AMI: ami, NoiseMean: nm, NoiseSD: nsd}
	for tau := 1; tau < maxLag; tau++ {
		if !(ami[tau] <= ami[tau-1] && ami[tau] < ami[tau+1]) {
			continue
		}
		if ami[tau] <= nm+3*nsd {
			break // decayed to the noise floor: later minima are noise too
		}
		rise := 0.0
		for t := tau + 1; t <= min(2*tau, maxLag); t++ {
			rise = max(rise, ami[t]-ami[tau])
		}
		if rise > 3*nsd {
			est.Delay, est.Method = tau, "ami_minimum"
			return est, nil
		}
	}
	ac := Autocorrelation(nil, x, maxLag)
	for tau := 1; tau <= maxLag; tau++ {
		if ac[tau] < 1/math.E {
			est.Delay, est.Method = tau, "autocorrelation"
			return est, nil
		}
	}
	est.Delay, est.Method = maxLag, "max_delay"
	return est, nil
}

// amiBins chooses the number of equiprobable bins: enough for resolution, few enough
// that the joint histogram holds about 5 values per cell on average.
func amiBins(n int) int {
	b := int(math.Sqrt(float64(n) / 5))
	return min(max(b, 4), 32)
}
