package dynamics

import (
	"math"
	"math/rand/v2"
)

// Reference systems generated in the tests. Flows are integrated with classical RK4;
// initial transients are discarded so the series lie on the attractor.

// rk4 integrates dy/dt = f(y) with step h, recording y[comp] every `every` steps after
// `skip` recorded samples, n samples in all.
func rk4(f func(dst, y []float64), y0 []float64, h float64, every, skip, n, comp int) []float64 {
	d := len(y0)
	y := append([]float64(nil), y0...)
	k1, k2, k3, k4, tmp := make([]float64, d), make([]float64, d), make([]float64, d), make([]float64, d), make([]float64, d)
	out := make([]float64, 0, n)
	for s := 0; len(out) < n; s++ {
		if s%every == 0 && s/every >= skip {
			out = append(out, y[comp])
		}
		f(k1, y)
		for i := range y {
			tmp[i] = y[i] + h/2*k1[i]
		}
		f(k2, tmp)
		for i := range y {
			tmp[i] = y[i] + h/2*k2[i]
		}
		f(k3, tmp)
		for i := range y {
			tmp[i] = y[i] + h*k3[i]
		}
		f(k4, tmp)
		for i := range y {
			y[i] += h / 6 * (k1[i] + 2*k2[i] + 2*k3[i] + k4[i])
		}
	}
	return out
}

// lorenz returns n samples of x of the Lorenz system (σ=10, ρ=28, β=8/3) every dt time
// units, integrated with RK4 at step dt/every.
func lorenz(n int, dt float64) []float64 {
	const every = 5
	f := func(dst, y []float64) {
		dst[0] = 10 * (y[1] - y[0])
		dst[1] = y[0]*(28-y[2]) - y[1]
		dst[2] = y[0]*y[1] - 8.0/3*y[2]
	}
	skip := int(20 / dt) // 20 time units of transient
	return rk4(f, []float64{1, 1, 1}, dt/every, every, skip, n, 0)
}

// rossler returns n samples of x of the Rössler system (a=b=0.2, c=5.7) every dt.
func rossler(n int, dt float64) []float64 {
	const every = 5
	f := func(dst, y []float64) {
		dst[0] = -y[1] - y[2]
		dst[1] = y[0] + 0.2*y[1]
		dst[2] = 0.2 + y[2]*(y[0]-5.7)
	}
	skip := int(100 / dt)
	return rk4(f, []float64{1, 1, 0}, dt/every, every, skip, n, 0)
}

// henon returns n values of x of the Hénon map (a=1.4, b=0.3) after 1000 transients.
func henon(n int) []float64 {
	x, y := 0.1, 0.1
	out := make([]float64, 0, n)
	for i := 0; len(out) < n; i++ {
		x, y = 1-1.4*x*x+y, 0.3*x
		if i >= 1000 {
			out = append(out, x)
		}
	}
	return out
}

// logistic returns n values of the logistic map x → 4x(1-x).
func logistic(n int) []float64 {
	x := 0.1234567
	out := make([]float64, 0, n)
	for i := 0; len(out) < n; i++ {
		x = 4 * x * (1 - x)
		// Rounding drives the exact r=4 map onto its unstable fixed points after a few
		// thousand iterations at double precision in rare cases; nudging keeps it on
		// the chaotic set without changing its statistics.
		if x == 0 || x == 1 || x == 0.75 {
			x = 0.1234567
		}
		if i >= 100 {
			out = append(out, x)
		}
	}
	return out
}

func gaussian(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func randomWalk(n int, seed uint64) []float64 {
	out := gaussian(n, seed)
	for i := 1; i < n; i++ {
		out[i] += out[i-1]
	}
	return out
}

// sine returns a periodic signal with the given period in samples (two harmonics, so it
// is not a pure sinusoid).
func sine(n int, period float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		ph := 2 * math.Pi * float64(i) / period
		out[i] = math.Sin(ph) + 0.4*math.Sin(2*ph+0.7)
	}
	return out
}

// damped returns a damped oscillation e^{-γt} cos(ωt) sampled at unit interval.
func damped(n int, period, decay float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Exp(-decay*float64(i)) * math.Cos(2*math.Pi*float64(i)/period)
	}
	return out
}

// addNoise adds Gaussian observational noise with standard deviation frac × std(x).
func addNoise(x []float64, frac float64, seed uint64) []float64 {
	_, v := meanVar(x)
	g := gaussian(len(x), seed)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] + frac*math.Sqrt(v)*g[i]
	}
	return out
}
