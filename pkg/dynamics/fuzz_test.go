package dynamics

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzAnalyze feeds arbitrary series (8 bytes per value, at most 160 values) to Analyze
// and to the incremental analyser: no panics, errors wrap a package sentinel, results are
// in range.
func FuzzAnalyze(f *testing.F) {
	enc := func(x []float64) []byte {
		b := make([]byte, 8*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	f.Add(enc(sine(120, 7)))
	f.Add(enc(henon(150)))
	f.Add(enc(make([]float64, 128)))
	f.Add(enc(append(make([]float64, 127), 1)))
	f.Add(enc(append(gaussian(130, 1), math.NaN())))
	f.Add(enc([]float64{1e308, -1e308, 1e308, -1e308}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := min(len(b)/8, 160)
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		r, err := Analyze(x, WithSurrogates(19, 0.05))
		if err != nil {
			if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrConstant) && !errors.Is(err, ErrNonFinite) && !errors.Is(err, ErrNoFit) && !errors.Is(err, ErrParam) {
				t.Fatalf("error without sentinel: %v", err)
			}
		} else if r.Confidence < 0 || r.Confidence > 1 || math.IsNaN(r.Confidence) || r.Attractor < Unknown || r.Attractor > Stochastic {
			t.Fatalf("result out of range: %+v", r)
		}
		a, _ := NewIncremental(MinLength, WithHop(100))
		for _, v := range x {
			if _, err := a.Add(v); err != nil && !errors.Is(err, ErrNonFinite) && !errors.Is(err, ErrConstant) && !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrNoFit) {
				t.Fatalf("incremental: %v", err)
			}
		}
	})
}
