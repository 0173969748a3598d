package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/midstream/midstream/pkg/dynamics"
)

func init() {
	register(command{name: "analyze chaos", summary: "phase-space analysis of a series: Lyapunov exponent, dimension, attractor", run: analyzeChaosCmd})
}

// chaosOutput is the JSON printed by `midstream analyze chaos`. Exponents are natural-log
// rates per time unit (per sample when --dt is absent); period is in samples and
// period_time in time units.
type chaosOutput struct {
	N                  int      `json:"n"`
	Dt                 float64  `json:"dt"`
	Delay              int      `json:"delay"`
	DelayMethod        string   `json:"delay_method"`
	EmbeddingDimension int      `json:"embedding_dimension"`
	DimensionMethod    string   `json:"dimension_method"`
	Theiler            int      `json:"theiler"`
	LyapunovMax        *float64 `json:"lyapunov_max"`
	LyapunovPerSample  *float64 `json:"lyapunov_per_sample,omitempty"`
	// LyapunovFit is the fitted range of the divergence curve, in samples and time units.
	LyapunovFit          *chaosFit `json:"lyapunov_fit,omitempty"`
	CorrelationDimension *float64  `json:"correlation_dimension"`
	CorrelationConverged bool      `json:"correlation_converged"`
	Attractor            string    `json:"attractor"`
	Period               *float64  `json:"period,omitempty"`
	PeriodTime           *float64  `json:"period_time,omitempty"`
	Confidence           float64   `json:"confidence"`
	Reason               string    `json:"reason"`
	SurrogatePValue      *float64  `json:"surrogate_p_value,omitempty"`
	Warnings             []string  `json:"warnings,omitempty"`
	Plot                 string    `json:"plot,omitempty"`
}

type chaosFit struct {
	FromStep int     `json:"from_step"`
	ToStep   int     `json:"to_step"`
	FromTime float64 `json:"from_time"`
	ToTime   float64 `json:"to_time"`
	R2       float64 `json:"r2"`
	Linear   bool    `json:"linear"`
}

func analyzeChaosCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("midstream analyze chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dt := fs.Float64("dt", 1, "sampling interval in time units (exponents are per time unit; 1 = per sample)")
	dim := fs.Int("dim", 0, "embedding dimension (0: false nearest neighbours / Cao)")
	delay := fs.Int("delay", 0, "embedding delay in samples (0: first real minimum of mutual information)")
	theiler := fs.Int("theiler", -1, "Theiler window in samples (-1: the mean period)")
	plotFile := fs.String("plot", "", "write the phase portrait and the divergence curve with its fit to this PNG file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: midstream analyze chaos [--dt SECONDS] [--dim M] [--delay TAU] [--theiler W] [--plot FILE.png] FILE|-")
		fmt.Fprintln(stderr, "FILE (or - for stdin) holds one number per line; prints one JSON object.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "midstream analyze chaos: "+format+"\n", a...)
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	switch {
	case !(*dt > 0) || math.IsInf(*dt, 0):
		return fail(2, "--dt must be a positive number, not %v", *dt)
	case *dim < 0 || *dim > 20:
		return fail(2, "--dim must be between 1 and 20 (0: automatic), not %d", *dim)
	case *delay < 0:
		return fail(2, "--delay must be positive (0: automatic), not %d", *delay)
	case *theiler < -1:
		return fail(2, "--theiler must be non-negative (-1: automatic), not %d", *theiler)
	}
	name := fs.Arg(0)
	x, err := readNumbers(name, stdin)
	if err != nil {
		return fail(1, "%v", err)
	}
	opts := []dynamics.Option{dynamics.WithDt(*dt)}
	if *dim > 0 {
		opts = append(opts, dynamics.WithDim(*dim))
	}
	if *delay > 0 {
		opts = append(opts, dynamics.WithDelay(*delay))
	}
	if *theiler >= 0 {
		opts = append(opts, dynamics.WithTheiler(*theiler))
	}
	if *plotFile != "" {
		opts = append(opts, dynamics.WithCurves())
	}
	r, err := dynamics.Analyze(x, opts...)
	if err != nil {
		var se *dynamics.SeriesError
		switch {
		case errors.Is(err, dynamics.ErrTooShort) && errors.As(err, &se) && se.Need > 0:
			return fail(1, "%s: too short: %d values, need at least %d", name, len(x), se.Need)
		case errors.Is(err, dynamics.ErrConstant):
			return fail(1, "%s: constant series (%d values): nothing to analyse", name, len(x))
		}
		return fail(1, "%s: %v", name, err)
	}
	out := chaosOutput{
		N: r.N, Dt: r.Dt, Delay: r.Delay.Delay, DelayMethod: r.Delay.Method,
		EmbeddingDimension: r.Dimension.Dim, DimensionMethod: r.Dimension.Method, Theiler: r.Theiler,
		Attractor: r.Attractor.String(), Confidence: r.Confidence, Reason: r.Reason, Warnings: r.Warnings,
	}
	if l := r.Lyapunov; l != nil {
		out.LyapunovMax, out.LyapunovPerSample = &l.PerTime, &l.PerSample
		out.LyapunovFit = &chaosFit{FromStep: l.Fit.Lo, ToStep: l.Fit.Hi - 1, FromTime: float64(l.Fit.Lo) * r.Dt,
			ToTime: float64(l.Fit.Hi-1) * r.Dt, R2: l.Fit.R2, Linear: l.Linear}
	}
	if c := r.Correlation; c != nil {
		out.CorrelationDimension, out.CorrelationConverged = &c.D2, c.Converged
	}
	if r.Attractor == dynamics.LimitCycle {
		p, pt := r.Period, r.Period*r.Dt
		out.Period, out.PeriodTime = &p, &pt
	}
	if r.Surrogate != nil {
		out.SurrogatePValue = &r.Surrogate.PValue
	}
	if *plotFile != "" {
		if err := writeChaosPlot(*plotFile, x, r); err != nil {
			return fail(1, "plot: %v", err)
		}
		out.Plot = *plotFile
	}
	return writeJSON(stdout, stderr, out)
}
