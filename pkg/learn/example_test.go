package learn_test

import (
	"fmt"

	"github.com/midstream/midstream/pkg/learn"
)

func ExampleWilson() {
	// 81 false positives among 263 labelled flags (Newcombe 1998's first example).
	lo, hi := learn.Wilson(81, 263, learn.Z95)
	fmt.Printf("%.4f [%.4f, %.4f]\n", 81.0/263, lo, hi)
	// Output: 0.3080 [0.2553, 0.3662]
}

func ExampleSketch() {
	s := learn.NewSketch(0.01, learn.DefaultMaxBins)
	for i := 1; i <= 1000; i++ {
		s.Add(float64(i))
	}
	p50, _ := s.Quantile(0.5)
	p99, _ := s.Quantile(0.99)
	// The true values are 500 and 990; the sketch promises 1% relative error.
	fmt.Printf("p50 %.0f p99 %.0f\n", p50, p99)
	// Output: p50 498 p99 983
}

func ExampleLearner_Propose() {
	init := learn.NewConfig(map[string]learn.Value{"verifier/pii/threshold": learn.Number(0.5)})
	l, err := learn.NewLearner(init,
		learn.WithBounds(learn.Bound{Key: "verifier/*/threshold", Min: 0.2, Max: 0.95, MaxStep: 0.1}))
	if err != nil {
		panic(err)
	}
	// Too big a step: rejected, with the bound named, and kept for audit.
	p, err := l.Propose(learn.Modification{Key: "verifier/pii/threshold", Old: learn.Number(0.5), New: learn.Number(0.8)})
	fmt.Println(p.Status, p.Rule, err != nil)
	// A small step passes and is applied as revision 1.
	p, _ = l.Propose(learn.Modification{Key: "verifier/pii/threshold", Old: learn.Number(0.5), New: learn.Number(0.55),
		Reason: "operator: fewer false alarms"})
	p, _ = l.Apply(p.ID)
	fmt.Println(p.Status, p.Revision, l.Config().Get("verifier/pii/threshold"))
	// The audit trail rebuilds every revision.
	cfgs, _ := learn.Replay(l.Initial(), l.Audit(1))
	fmt.Println(len(cfgs), cfgs[1].Get("verifier/pii/threshold"))
	// Output:
	// rejected step:verifier/*/threshold true
	// applied 1 0.55
	// 2 0.55
}
