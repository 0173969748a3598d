package learn

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchObservations builds n observations of 64 tokens each, 10% violating with the planted
// pattern, with 4 signals and 2 verdicts.
func benchObservations(n int) []Observation {
	rng := rand.New(rand.NewPCG(1, 1))
	obs := make([]Observation, n)
	for i := range obs {
		toks, at := plantedResponse(rng, i%10 == 0)
		o := Observation{Stream: fmt.Sprint("s", i), Tenant: "t", Model: "m", Tokens: toks,
			Signals: []Signal{{"entropy", rng.Float64() * 4}, {"tokens", float64(len(toks))}, {"ttft_ms", 50 + rng.ExpFloat64()*100}, {"lyapunov", rng.NormFloat64()}},
			Verdicts: []Verdict{
				{Analyser: "verifier", Rule: "pii", Score: rng.Float64(), Flagged: at >= 0, At: at},
				{Analyser: "attractor", Rule: "loop", Score: rng.Float64(), At: -1},
			}}
		obs[i] = o
	}
	return obs
}

// BenchmarkObserve is the per-observation update of all levels: level 0 validation, level 1
// sketches, rates and mining, and (with labels) level 2 batches and level 3 on evaluations.
func BenchmarkObserve(b *testing.B) {
	for _, labelled := range []bool{false, true} {
		b.Run(fmt.Sprint("feedback=", labelled), func(b *testing.B) {
			obs := benchObservations(4096)
			clk := newFakeClock()
			l, err := NewLearner(NewConfig(map[string]Value{"verifier/pii/threshold": Number(0.5)}),
				WithClock(clk.now), WithFeedbackRate(1e9, 1<<30),
				WithTargets(Target{Key: "verifier/pii/threshold", Analyser: "verifier", Rule: "pii", FPRate: 0.1, Direction: 1, Gain: 1, Evidence: 50}),
				WithBounds(Bound{Key: "verifier/*/threshold", Min: 0, Max: 1, MaxStep: 0.05}))
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(2, 2))
			b.ReportAllocs()
			done := cpuMeter(b)
			defer done()
			for i := 0; i < b.N; i++ {
				o := &obs[i%len(obs)]
				clk.add(time.Millisecond)
				if err := l.Observe(o); err != nil {
					b.Fatal(err)
				}
				if labelled && o.Verdicts[0].Flagged {
					lb := LabelTruePositive
					if rng.IntN(4) == 0 {
						lb = LabelFalsePositive
					}
					_ = l.Feedback(&Feedback{Stream: o.Stream, Analyser: "verifier", Rule: "pii", Label: lb})
					for _, p := range l.Pending() {
						_, _ = l.Apply(p.ID)
					}
				}
			}
		})
	}
}

// BenchmarkMine is mining over n responses: feeding their windows to the miner and extracting
// the predictive patterns.
func BenchmarkMine(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint("responses=", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			type resp struct {
				toks []string
				at   int
			}
			rs := make([]resp, n)
			for i := range rs {
				rs[i].toks, rs[i].at = plantedResponse(rng, i%10 == 0)
			}
			b.ReportAllocs()
			done := cpuMeter(b)
			defer done()
			for i := 0; i < b.N; i++ {
				m, _ := NewPatternMiner(MinerConfig{})
				for j := range rs {
					m.Add(rs[j].toks, rs[j].at)
				}
				if len(m.Patterns(nil)) == 0 {
					b.Fatal("no pattern")
				}
			}
		})
	}
}

// BenchmarkShadow is a shadow evaluation of n recorded responses with a threshold evaluator.
func BenchmarkShadow(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprint("responses=", n), func(b *testing.B) {
			w := newShadowWorld(n, 5)
			cur := NewConfig(map[string]Value{"verifier/pii/threshold": Number(0.3)})
			prop := cur.With("verifier/pii/threshold", Number(1.8))
			b.ReportAllocs()
			done := cpuMeter(b)
			defer done()
			for i := 0; i < b.N; i++ {
				if _, err := ShadowCompare(cur, prop, n, w.eval, 0.01); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSketchAdd(b *testing.B) {
	s := NewSketch(DefaultAlpha, DefaultMaxBins)
	rng := rand.New(rand.NewPCG(4, 4))
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = rng.ExpFloat64()
	}
	b.ReportAllocs()
	done := cpuMeter(b)
	defer done()
	for i := 0; i < b.N; i++ {
		s.Add(xs[i%len(xs)])
	}
}

// BenchmarkCheck is one proposal's safety check: bounds and the three standard rules (floor,
// evaluate-first, timed one-per-hour) over a key history of the given length.
func BenchmarkCheck(b *testing.B) {
	for _, hist := range []int{16, 256} {
		b.Run(fmt.Sprint("history=", hist), func(b *testing.B) {
			clk := newFakeClock()
			l, err := NewLearner(NewConfig(map[string]Value{thKey: Number(0.5)}), WithClock(clk.now), WithWatch(2, 0),
				WithHistory(hist),
				WithBounds(Bound{Key: "verifier/*/threshold", Min: 0, Max: 1, MaxStep: 0.1}),
				WithRules(FloorRule("floor", "verifier/*/threshold", 0.2),
					EvaluateFirstRule("evaluate-first", "verifier/*/threshold"),
					RateRule("one-per-hour", "verifier/*/threshold", 1, time.Hour)))
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < hist; i++ {
				clk.add(2 * time.Hour)
				nv := 0.5 + 0.05*float64(i%2)
				p, err := l.Propose(Modification{Key: thKey, Old: l.Config().Get(thKey), New: Number(nv)})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := l.Apply(p.ID); err != nil {
					b.Fatal(err)
				}
				_, _ = l.Outcome(thKey, 1)
				_, _ = l.Outcome(thKey, 1)
			}
			clk.add(2 * time.Hour)
			m := Modification{Key: thKey, Old: l.Config().Get(thKey), New: Number(0.45)}
			b.ReportAllocs()
			done := cpuMeter(b)
			defer done()
			for i := 0; i < b.N; i++ {
				if err := l.Check(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
