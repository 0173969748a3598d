package attractor_test

import (
	"fmt"
	"math"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/attractor"
)

func ExampleParseConfig() {
	c, err := attractor.ParseConfig([]byte(`{"loop_action":"flag","max_period":16}`))
	fmt.Println(c.LoopAction, c.MaxPeriod, c.Window, err)
	_, err = attractor.ParseConfig([]byte(`{"loop_action":"explode"}`))
	fmt.Println(err)
	// Output:
	// flag 16 256 <nil>
	// attractor: attractor.config: loop_action: "explode", want "stop", "flag" or ""
}

func ExampleTopEntropy() {
	// A coin toss between the token and one alternative: ln 2 nats.
	t := wire.Token{Text: "yes", Logprob: math.Log(0.5), Top: []wire.TopLogprob{{Text: "no", Logprob: math.Log(0.5)}}}
	h, _ := attractor.TopEntropy(&t)
	fmt.Printf("%.4f\n", h)
	// Output: 0.6931
}

func ExampleLoopConfidence() {
	win := make([]float64, 100)
	for i := range win {
		win[i] = float64(i % 5) // period 5, exactly
	}
	fmt.Println(attractor.LoopConfidence(win, 5), attractor.LoopConfidence(win, 3) < 0.5)
	// Output: 1 true
}
