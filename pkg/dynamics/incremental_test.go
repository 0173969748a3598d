package dynamics

import (
	"errors"
	"math"
	"testing"
)

// A loop that follows chaotic output is flagged within a few periods of its start,
// long before it fills the window.
func TestIncrementalEarlyLoop(t *testing.T) {
	const period = 17
	chaos := lorenz(800, 0.02)
	a, err := NewIncremental(512, WithHop(128))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range chaos {
		ev, err := a.Add(v)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Loop {
			t.Fatalf("loop flagged in chaos at %d: %+v", i, ev)
		}
	}
	loop := sine(400, period)
	for i := range loop {
		ev, err := a.Add(10 * loop[i])
		if err != nil {
			t.Fatal(err)
		}
		if ev.LoopStarted {
			if ev.LoopPeriod != period {
				t.Fatalf("loop period %v, want %d", ev.LoopPeriod, period)
			}
			// The first value that can close 4 periods is number 4·17 = 68 (index 67).
			if i > (periodMinMultiples+1)*period {
				t.Fatalf("loop detected after %d values", i+1)
			}
			// Keep going: the full analysis confirms once the loop dominates the window.
			for _, v := range sine(1000, period)[i+1:] {
				ev, err = a.Add(10 * v)
				if err != nil {
					t.Fatal(err)
				}
			}
			if ev.Attractor != LimitCycle || math.Abs(ev.Period-period) > 0.05 || !ev.Loop {
				t.Fatalf("after the loop filled the window: %+v", ev)
			}
			return
		}
	}
	t.Fatal("loop never detected")
}

func TestIncrementalNoFalseLoops(t *testing.T) {
	for name, x := range map[string][]float64{
		"lorenz":   lorenz(3000, 0.02),
		"henon":    henon(3000),
		"noise":    gaussian(3000, 4),
		"walk":     randomWalk(3000, 4),
		"constant": make([]float64, 400),
	} {
		// Only the per-value loop test matters here: no full analyses.
		a, _ := NewIncremental(256, WithHop(1<<30))
		for i, v := range x {
			ev, err := a.Add(v)
			if err != nil && !errors.Is(err, ErrConstant) {
				t.Fatal(name, err)
			}
			if ev.Loop {
				t.Fatalf("%s: loop flagged at %d: %+v", name, i, ev)
			}
		}
	}
}

// After the values fill the window, the incremental result equals Analyze on the window.
func TestIncrementalMatchesAnalyze(t *testing.T) {
	x := henon(700)
	a, _ := NewIncremental(300, WithHop(100))
	var ev Event
	for _, v := range x {
		ev, _ = a.Add(v)
	}
	if !ev.Analysed || a.Count() != 700 || len(a.Window()) != 300 {
		t.Fatalf("analysed %v count %d window %d", ev.Analysed, a.Count(), len(a.Window()))
	}
	want, err := Analyze(x[400:])
	if err != nil {
		t.Fatal(err)
	}
	got := a.Result()
	if got.Attractor != want.Attractor || got.Lyapunov.PerSample != want.Lyapunov.PerSample || got.Confidence != want.Confidence {
		t.Fatalf("incremental %s %v %v, direct %s %v %v", got.Attractor, got.Lyapunov.PerSample, got.Confidence,
			want.Attractor, want.Lyapunov.PerSample, want.Confidence)
	}
	for i, v := range a.Window() {
		if v != x[400+i] {
			t.Fatalf("window[%d] = %v, want %v", i, v, x[400+i])
		}
	}
}

func TestIncrementalBounded(t *testing.T) {
	a, _ := NewIncremental(128, WithHop(1000000))
	mem := a.MemoryBytes()
	x := gaussian(10000, 1)
	for _, v := range x {
		if _, err := a.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	if a.MemoryBytes() != mem || len(a.Window()) != 128 {
		t.Fatalf("memory %d → %d, window %d", mem, a.MemoryBytes(), len(a.Window()))
	}
	// Running sums stay exact enough after many slides.
	w := a.Window()
	var s float64
	for _, v := range w {
		s += v
	}
	if math.Abs(s-a.sum) > 1e-9 {
		t.Fatalf("running sum %v, exact %v", a.sum, s)
	}
	if _, err := a.Add(math.NaN()); !errors.Is(err, ErrNonFinite) || a.Count() != 10000 {
		t.Fatalf("NaN: %v, count %d", err, a.Count())
	}
	a.Reset()
	if a.Count() != 0 || len(a.Window()) != 0 || a.Result() != nil {
		t.Fatal("reset")
	}
	if _, err := NewIncremental(10); !errors.Is(err, ErrParam) {
		t.Fatal(err)
	}
	// Amortised allocation-free between full analyses.
	a, _ = NewIncremental(256, WithHop(1<<30))
	i := 0
	if n := testing.AllocsPerRun(1000, func() { a.Add(x[i%len(x)]); i++ }); n != 0 {
		t.Fatalf("%v allocations per Add", n)
	}
}
