package forecast_test

import (
	"fmt"

	"github.com/midstream/midstream/pkg/ltl/forecast"
)

func Example() {
	// Monitor states of past responses of one rule: state 1 is "waiting", state 2 "warned".
	m := forecast.New()
	for i := 0; i < 30; i++ {
		_ = m.Observe(forecast.Trace{States: []int{1, 1, 1}, Violated: false})
		_ = m.Observe(forecast.Trace{States: []int{1, 2, 2}, Violated: true})
	}
	f, err := m.Fit()
	if err != nil {
		panic(err)
	}
	for _, s := range []int{1, 2, 7} {
		e := f.Predict(s, 1)
		fmt.Printf("state %d: P(violation)=%.2f known=%v visits=%d traces=%d\n", s, e.P, e.Known, e.Visits, e.Traces)
	}
	// Smoothing (α = 1, towards the base rate 0.5) keeps the estimates off 0 and 1.
	// Output:
	// state 1: P(violation)=0.49 known=true visits=120 traces=60
	// state 2: P(violation)=0.98 known=true visits=60 traces=30
	// state 7: P(violation)=0.50 known=false visits=0 traces=0
}
