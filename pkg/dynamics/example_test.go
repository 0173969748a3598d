package dynamics_test

import (
	"fmt"
	"math"

	"github.com/midstream/midstream/pkg/dynamics"
)

func ExampleAnalyze() {
	// A signal that repeats every 25 samples.
	x := make([]float64, 500)
	for i := range x {
		ph := 2 * math.Pi * float64(i) / 25
		x[i] = math.Sin(ph) + 0.5*math.Cos(3*ph)
	}
	r, err := dynamics.Analyze(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, period %.1f, confidence %.2f\n", r.Attractor, r.Period, r.Confidence)
	// Output: limit_cycle, period 25.0, confidence 1.00
}

func ExampleNewEmbedding() {
	x := []float64{1, 2, 3, 4, 5, 6}
	e, _ := dynamics.NewEmbedding(x, 3, 2) // points (x[i], x[i+2], x[i+4])
	for i := 0; i < e.Len(); i++ {
		fmt.Println(e.Point(nil, i))
	}
	// Output:
	// [1 3 5]
	// [2 4 6]
}

func ExampleIncremental() {
	a, _ := dynamics.NewIncremental(256)
	for i := 0; i < 200; i++ {
		// A token-level signal stuck in a loop of 6 chunks.
		ev, _ := a.Add([]float64{-0.1, -2.3, -0.7, -1.5, -0.2, -3.1}[i%6])
		if ev.LoopStarted {
			fmt.Printf("loop of period %v detected at value %d\n", ev.LoopPeriod, i+1)
		}
	}
	// Output: loop of period 6 detected at value 50
}
