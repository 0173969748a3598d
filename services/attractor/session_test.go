package attractor

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/midstream/midstream/pkg/dynamics"
	"github.com/midstream/midstream/pkg/wire"
)

// recorder is a sink that keeps findings with the index of the chunk they were emitted on.
type recorder struct {
	chunk    int
	verdicts []wire.Verdict
	at       []int
	actions  []wire.Action
}

func (r *recorder) Verdict(v wire.Verdict) {
	r.verdicts = append(r.verdicts, v)
	r.at = append(r.at, r.chunk)
}
func (r *recorder) Action(typ wire.ActionType, rule, reason string) {
	r.actions = append(r.actions, wire.Action{Type: typ, Rule: rule, Reason: reason})
}

func (r *recorder) ofKind(kind string) (vs []wire.Verdict, at []int) {
	for i, v := range r.verdicts {
		if v.Kind == kind {
			vs, at = append(vs, v), append(at, r.at[i])
		}
	}
	return vs, at
}

var words = []string{"alpha", "be", "cat", "delta", "echo", "fox", "golf", "hotel", "in", "juliet", "kilo", "lima", "mike", "november"}

// token returns a token with a random word (so text never repeats systematically), log-probability
// lp and, when top, three alternatives below it as the demo generator makes them.
func token(r *rand.Rand, lp float64, top bool) wire.Token {
	t := wire.Token{Text: words[r.IntN(len(words))] + " ", Logprob: lp}
	if top {
		for k := range 3 {
			t.Top = append(t.Top, wire.TopLogprob{Text: words[r.IntN(len(words))], Logprob: lp - 0.5 - float64(k) - r.Float64()})
		}
	}
	return t
}

func proseLogprob(r *rand.Rand) float64 { return math.Max(-r.ExpFloat64()*1.5, -50) }

// run feeds one-token chunks with the given log-probabilities to a new session.
func run(t *testing.T, cfg Config, r *rand.Rand, lps []float64, top bool) *recorder {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := newSession(&cfg)
	rec := &recorder{}
	for i, lp := range lps {
		rec.chunk = i
		tok := token(r, lp, top)
		s.observe(&wire.Chunk{Seq: uint64(i), Text: tok.Text, Tokens: []wire.Token{tok}}, rec)
	}
	return rec
}

// loopSignal is head random log-probabilities, then a pattern of the given period (drawn from
// the same distribution) repeated for body values.
func loopSignal(r *rand.Rand, head, period, body int) []float64 {
	out := make([]float64, 0, head+body)
	for range head {
		out = append(out, proseLogprob(r))
	}
	// The pattern spans a range comparable to the prose's (values spread over [-4.2, -0.2],
	// in random order): a loop of nearly equal values is a constant stretch, not a cycle.
	pat := make([]float64, period)
	for i := range pat {
		pat[i] = -0.2 - 4*float64(i)/float64(period-1)
	}
	r.Shuffle(period, func(i, j int) { pat[i], pat[j] = pat[j], pat[i] })
	for i := range body {
		out = append(out, pat[i%period])
	}
	return out
}

func TestLoopInLogprobFlaggedMidStream(t *testing.T) {
	for _, period := range []int{2, 5, 7, 13} {
		r := rand.New(rand.NewPCG(1, uint64(period)))
		const head, body = 60, 150
		rec := run(t, DefaultConfig(), r, loopSignal(r, head, period, body), false)
		loops, at := rec.ofKind(KindLoop)
		if len(loops) != 1 {
			t.Fatalf("period %d: %d loop verdicts, want 1: %+v", period, len(loops), loops)
		}
		v := loops[0]
		var ev Evidence
		if err := json.Unmarshal(v.Evidence, &ev); err != nil {
			t.Fatal(err)
		}
		if v.Rule != SeriesLogprob || v.Status != StatusDetected || ev.Period != float64(period) || ev.Unit != "token" {
			t.Errorf("period %d: verdict %+v evidence %+v", period, v, ev)
		}
		if v.Confidence < 0.99 || v.Action != ActionStop {
			t.Errorf("period %d: confidence %g action %q", period, v.Confidence, v.Action)
		}
		// The early test needs max(3·period, 32) repeating values after the first period:
		// the loop must be flagged within that (plus a period of slack), long before the end.
		if limit := head + period + max(3*period, 32) + period; at[0] > limit {
			t.Errorf("period %d: flagged at chunk %d, want ≤ %d", period, at[0], limit)
		}
		if at[0] < head+period {
			t.Errorf("period %d: flagged at chunk %d before the loop had repeated", period, at[0])
		}
		if len(rec.actions) != 1 || rec.actions[0].Type != wire.ActionStop || rec.actions[0].Rule != SeriesLogprob {
			t.Errorf("period %d: actions %+v", period, rec.actions)
		}
	}
}

func TestRandomSignalNotFlagged(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(2, seed))
		lps := make([]float64, 400)
		for i := range lps {
			lps[i] = proseLogprob(r)
		}
		// Only the loop test matters here; the full analyses are exercised elsewhere.
		cfg := DefaultConfig()
		cfg.Classify = nil
		rec := run(t, cfg, r, lps, true)
		if loops, _ := rec.ofKind(KindLoop); len(loops) != 0 || len(rec.actions) != 0 {
			t.Fatalf("seed %d: random log-probabilities flagged: %+v %+v", seed, loops, rec.actions)
		}
	}
}

func TestLoopActionNoneAndFlag(t *testing.T) {
	for _, act := range []string{ActionNone, ActionFlag} {
		cfg := DefaultConfig()
		cfg.LoopAction = act
		r := rand.New(rand.NewPCG(3, 3))
		rec := run(t, cfg, r, loopSignal(r, 50, 6, 120), false)
		loops, _ := rec.ofKind(KindLoop)
		if len(loops) != 1 || loops[0].Action != act {
			t.Fatalf("action %q: %+v", act, loops)
		}
		if want := map[bool]int{true: 0, false: 1}[act == ActionNone]; len(rec.actions) != want {
			t.Fatalf("action %q: %d actions, want %d", act, len(rec.actions), want)
		}
	}
}

func TestLoopConfidenceThreshold(t *testing.T) {
	// A loop whose repetitions carry noise of 4% of the spread passes the early test
	// (tolerance 0.05 σ) but explains slightly less than all the variance; a threshold of 1
	// must hold it back.
	cfg := DefaultConfig()
	cfg.MinLoopConfidence = 1
	r := rand.New(rand.NewPCG(4, 4))
	lps := loopSignal(r, 50, 5, 150)
	for i := 50; i < len(lps); i++ {
		lps[i] = math.Min(lps[i]+0.0004*(r.Float64()-0.5), 0)
	}
	rec := run(t, cfg, r, lps, false)
	if loops, _ := rec.ofKind(KindLoop); len(loops) != 0 {
		t.Fatalf("loop below the confidence threshold reported: %+v", loops)
	}
}

// naiveDebounce replays a class history: at point n the current class has held since the
// start of its run; it is reported when that run is at least hold long and the class differs
// from the last report.
func naiveDebounce(classes []dynamics.Attractor, hold int64) []int {
	var out []int
	last := dynamics.Unknown
	for n := range classes {
		s := n
		for s > 0 && classes[s-1] == classes[n] {
			s--
		}
		if classes[n] != last && int64(n-s) >= hold {
			out = append(out, n)
			last = classes[n]
		}
	}
	return out
}

func TestDebouncerAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for trial := range 500 {
		hold := int64(r.IntN(8))
		n := 1 + r.IntN(200)
		classes := make([]dynamics.Attractor, n)
		c := dynamics.Attractor(r.IntN(5))
		for i := range classes {
			if r.Float64() < 0.2 {
				c = dynamics.Attractor(r.IntN(5))
			}
			classes[i] = c
		}
		var d debouncer
		var got []int
		for i, c := range classes {
			if d.step(c, int64(i), hold) {
				got = append(got, i)
			}
		}
		want := naiveDebounce(classes, hold)
		if len(got) != len(want) {
			t.Fatalf("trial %d: reports at %v, naive %v", trial, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("trial %d: reports at %v, naive %v", trial, got, want)
			}
		}
	}
}

func TestClassificationOnlyOnChangeAndDebounced(t *testing.T) {
	// White noise, then a sine of period 16: the log-probability series changes class once
	// the window is dominated by the sine. Classification verdicts must never repeat a
	// status, and none may come before the first class has held Debounce points.
	cfg := DefaultConfig()
	cfg.Series, cfg.Classify, cfg.LoopSeries = []string{SeriesLogprob}, []string{SeriesLogprob}, nil
	r := rand.New(rand.NewPCG(6, 6))
	lps := make([]float64, 0, 900)
	for range 300 {
		lps = append(lps, -1-0.5*r.NormFloat64())
	}
	for i := range 600 {
		lps = append(lps, -1-0.5*math.Sin(2*math.Pi*float64(i)/16))
	}
	for i := range lps {
		lps[i] = math.Min(lps[i], 0)
	}
	rec := run(t, cfg, r, lps, false)
	vs, at := rec.ofKind(KindClassification)
	if len(vs) < 2 {
		t.Fatalf("want at least a stochastic and a limit-cycle verdict, got %+v", vs)
	}
	for i := range vs {
		if i > 0 && vs[i].Status == vs[i-1].Status {
			t.Errorf("verdict %d repeats status %q", i, vs[i].Status)
		}
	}
	if vs[0].Status != "stochastic" {
		t.Errorf("first class %q, want stochastic", vs[0].Status)
	}
	if last := vs[len(vs)-1]; last.Status != "limit_cycle" {
		t.Errorf("last class %q, want limit_cycle", last.Status)
	} else {
		var ev Evidence
		if err := json.Unmarshal(last.Evidence, &ev); err != nil {
			t.Fatal(err)
		}
		if math.Abs(ev.Period-16) > 0.5 {
			t.Errorf("limit cycle period %g, want 16", ev.Period)
		}
	}
	// The first analysis happens at MinLength points; the class is reported Debounce points
	// later at the earliest.
	if at[0] < cfg.MinPoints-1+cfg.Debounce {
		t.Errorf("first classification at point %d, before %d", at[0], cfg.MinPoints-1+cfg.Debounce)
	}
	// With the debounce off the same series reports at least as many changes, and earlier.
	cfg.Debounce = 0
	rec0 := run(t, cfg, rand.New(rand.NewPCG(6, 6)), lps, false)
	vs0, at0 := rec0.ofKind(KindClassification)
	if len(vs0) < len(vs) || at0[0] >= at[0] {
		t.Errorf("debounce 0: %d verdicts first at %d; debounced: %d first at %d", len(vs0), at0[0], len(vs), at[0])
	}
}

func TestNoExponentBelowMinLyapunovPoints(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Series, cfg.Classify, cfg.LoopSeries = []string{SeriesLogprob}, []string{SeriesLogprob}, nil
	cfg.Debounce = 0
	r := rand.New(rand.NewPCG(7, 7))
	lps := make([]float64, 250)
	for i := range lps {
		lps[i] = proseLogprob(r)
	}
	rec := run(t, cfg, r, lps, false)
	vs, _ := rec.ofKind(KindClassification)
	if len(vs) == 0 {
		t.Fatal("no classification after 250 points")
	}
	for _, v := range vs {
		var ev Evidence
		if err := json.Unmarshal(v.Evidence, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Lyapunov != nil || v.Score != 0 || ev.LyapunovNote == "" || ev.Window >= cfg.MinLyapunovPoints {
			t.Errorf("exponent reported from %d points: %+v score %g", ev.Window, ev, v.Score)
		}
	}
}

func TestTopEntropy(t *testing.T) {
	// Two equally likely choices: ln 2; three: ln 3 (definition of Shannon entropy).
	tok := wire.Token{Text: "a", Logprob: math.Log(0.5), Top: []wire.TopLogprob{{Text: "b", Logprob: math.Log(0.5)}}}
	if h, ok := TopEntropy(&tok); !ok || math.Abs(h-math.Ln2) > 1e-12 {
		t.Errorf("two equal: %g, want ln 2", h)
	}
	tok = wire.Token{Text: "a", Logprob: -3, Top: []wire.TopLogprob{{Text: "a", Logprob: -3}, {Text: "b", Logprob: -3}, {Text: "c", Logprob: -3}}}
	if h, _ := TopEntropy(&tok); math.Abs(h-math.Log(3)) > 1e-12 {
		t.Errorf("three equal (chosen listed among the top): %g, want ln 3", h)
	}
	if _, ok := TopEntropy(&wire.Token{Logprob: -1}); ok {
		t.Error("entropy without alternatives")
	}
	// Against the direct formula on random inputs, including very negative values.
	r := rand.New(rand.NewPCG(8, 8))
	for range 1000 {
		tok := wire.Token{Text: "x", Logprob: -r.ExpFloat64() * 5}
		ps := []float64{math.Exp(tok.Logprob)}
		for k := range 1 + r.IntN(5) {
			lp := -r.ExpFloat64() * 5
			tok.Top = append(tok.Top, wire.TopLogprob{Text: string(rune('a' + k)), Logprob: lp})
			ps = append(ps, math.Exp(lp))
		}
		var z, h float64
		for _, p := range ps {
			z += p
		}
		for _, p := range ps {
			if q := p / z; q > 0 {
				h -= q * math.Log(q)
			}
		}
		if got, _ := TopEntropy(&tok); math.Abs(got-h) > 1e-9 {
			t.Fatalf("entropy %g, direct %g", got, h)
		}
	}
}

func TestMemoryBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Classify = []string{SeriesLogprob}
	s := newSession(&cfg)
	r := rand.New(rand.NewPCG(9, 9))
	rec := &recorder{}
	var after1k int
	for i := range 1500 {
		tok := token(r, proseLogprob(r), true)
		s.observe(&wire.Chunk{Seq: uint64(i), Text: tok.Text, Tokens: []wire.Token{tok}}, rec)
		if i == 999 {
			after1k = s.MemoryBytes()
		}
	}
	if m := s.MemoryBytes(); m != after1k || m > 5*(16*cfg.Window+4*(cfg.MaxPeriod+1)+300)+1000 {
		t.Errorf("memory %d bytes after 1500 points, %d after 1000", m, after1k)
	}
}
