package attractor_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis/analysistest"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/attractor"
)

// recording wraps the analyser to observe the runner's Configure calls and their outcome.
type recording struct {
	*attractor.Analyser
	mu      sync.Mutex
	applied []configCall
}

type configCall struct {
	name, value string
	err         error
}

func (r *recording) Configure(name string, value []byte) error {
	err := r.Analyser.Configure(name, value)
	r.mu.Lock()
	r.applied = append(r.applied, configCall{name, string(value), err})
	r.mu.Unlock()
	return err
}

func (r *recording) calls() []configCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]configCall(nil), r.applied...)
}

// harness runs the analyser (wrapped in a recording) on an embedded bus.
type harness struct {
	*analysistest.Harness
	a *recording
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	an, err := attractor.New()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recording{Analyser: an}
	return &harness{Harness: analysistest.Start(t, attractor.Name, rec), a: rec}
}

// send publishes one-token chunks with the given log-probabilities; each chunk's text is a
// random word, so nothing repeats in the text.
func (h *harness) send(stream string, r *rand.Rand, lps []float64) {
	h.T.Helper()
	t0 := time.Now().UTC()
	chunks := make([]wire.Chunk, len(lps))
	for i, lp := range lps {
		w := words[r.IntN(len(words))] + " "
		chunks[i] = wire.Chunk{Time: t0.Add(time.Duration(i) * time.Millisecond), Text: w,
			Tokens: []wire.Token{{Text: w, Logprob: lp}}}
	}
	h.Send(stream, &wire.Meta{Tenant: "t", Model: "m"}, chunks, 0)
}

// settle waits until every chunk is acknowledged (so every finding is stored), then collects.
func (h *harness) settle() { h.T.Helper(); h.Settle() }

func (h *harness) findings(stream string) ([]wire.Verdict, []wire.Action) {
	return h.Verdicts(stream), h.Actions(stream)
}

func (h *harness) put(value string) {
	h.T.Helper()
	h.Put(attractor.KeyConfig, []byte(value))
}

var words = []string{"alpha", "be", "cat", "delta", "echo", "fox", "golf", "hotel", "in", "juliet", "kilo", "lima"}

func prose(r *rand.Rand) float64 { return math.Max(-r.ExpFloat64()*1.5, -50) }

// looping is 40 random log-probabilities, then a pattern of period 6 repeated 110 times over
// (text stays random: only the signal loops).
func looping(r *rand.Rand) []float64 {
	var out []float64
	for range 40 {
		out = append(out, prose(r))
	}
	pat := []float64{-0.3, -2.9, -1.1, -4.0, -0.05, -1.7}
	for i := range 110 {
		out = append(out, pat[i%len(pat)])
	}
	return out
}

func TestServiceLoopFlaggedMidStreamAndRandomNot(t *testing.T) {
	h := startHarness(t)
	r := rand.New(rand.NewPCG(11, 1))
	h.send("loop-1", r, looping(r))
	for i := range 4 {
		lps := make([]float64, 300)
		for k := range lps {
			lps[k] = prose(r)
		}
		h.send("random-"+string(rune('a'+i)), r, lps)
	}
	h.settle()

	vs, as := h.findings("loop-1")
	var loops []wire.Verdict
	for _, v := range vs {
		if v.Kind == attractor.KindLoop {
			loops = append(loops, v)
		}
	}
	if len(loops) != 1 {
		t.Fatalf("loop verdicts %+v", loops)
	}
	var ev attractor.Evidence
	if err := json.Unmarshal(loops[0].Evidence, &ev); err != nil {
		t.Fatal(err)
	}
	if loops[0].Rule != attractor.SeriesLogprob || loops[0].Status != attractor.StatusDetected || ev.Period != 6 || loops[0].Confidence < 0.99 {
		t.Fatalf("loop verdict %+v evidence %+v", loops[0], ev)
	}
	// Mid-stream: the loop starts at chunk 40 and the response runs to chunk 149; the early
	// test needs 32 repeating values after the first period.
	if s := loops[0].Seq; s < 46 || s > 40+6+32+6 {
		t.Fatalf("loop flagged at chunk %d", s)
	}
	if len(as) != 1 || as[0].Type != wire.ActionStop || as[0].Seq != loops[0].Seq {
		t.Fatalf("actions %+v", as)
	}
	for i := range 4 {
		s := "random-" + string(rune('a'+i))
		vs, as := h.findings(s)
		for _, v := range vs {
			if v.Kind == attractor.KindLoop || v.Action != "" {
				t.Errorf("%s flagged: %+v", s, v)
			}
		}
		if len(as) != 0 {
			t.Errorf("%s: actions %+v", s, as)
		}
	}
}

func TestServiceLiveConfigAndBadConfig(t *testing.T) {
	h := startHarness(t)
	h.put(`{"loop_action":"flag","min_loop_confidence":0.95}`)
	bustest.Eventually(t, 10*time.Second, func() bool { return h.a.Config().LoopAction == attractor.ActionFlag }, "config not applied")

	r := rand.New(rand.NewPCG(12, 1))
	h.send("loop-flag", r, looping(r))
	h.settle()
	if _, as := h.findings("loop-flag"); len(as) != 1 || as[0].Type != wire.ActionFlag {
		t.Fatalf("after loop_action flag: actions %+v", as)
	}

	// A bad value is rejected (the runner logs it) and the previous one stays in force.
	h.put(`{"loop_action":"explode"}`)
	bustest.Eventually(t, 10*time.Second, func() bool {
		c := h.a.calls()
		return len(c) > 0 && c[len(c)-1].value == `{"loop_action":"explode"}`
	}, "bad config not seen")
	if c := h.a.calls(); c[len(c)-1].err == nil {
		t.Fatal("bad config accepted")
	}
	if got := h.a.Config(); got.LoopAction != attractor.ActionFlag || got.MinLoopConfidence != 0.95 {
		t.Fatalf("config after a rejected value: %+v", got)
	}
	h.send("loop-flag-2", r, looping(r))
	h.settle()
	if _, as := h.findings("loop-flag-2"); len(as) != 1 || as[0].Type != wire.ActionFlag {
		t.Fatalf("after a rejected value: actions %+v", as)
	}

	// Action off: the loop is still reported, nothing is sent to the gateway.
	h.put(`{"loop_action":""}`)
	bustest.Eventually(t, 10*time.Second, func() bool { return h.a.Config().LoopAction == attractor.ActionNone }, "config not applied")
	h.send("loop-none", r, looping(r))
	h.settle()
	vs, as := h.findings("loop-none")
	if len(as) != 0 || len(vs) == 0 || vs[0].Kind != attractor.KindLoop || vs[0].Action != "" {
		t.Fatalf("loop_action \"\": verdicts %+v actions %+v", vs, as)
	}
}
