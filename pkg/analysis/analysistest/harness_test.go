package analysistest_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/analysis/analysistest"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
)

// flagger verdicts every chunk containing its configured word and stops the response on
// "stop"; it summarises the number of chunks at the end.
type flagger struct{ word atomic.Pointer[string] }

func (f *flagger) Configure(name string, value []byte) error {
	if name == "word" {
		w := string(value)
		f.word.Store(&w)
	}
	return nil
}

func (f *flagger) Start(string, *wire.Meta) analysis.Session {
	w := "bad"
	if p := f.word.Load(); p != nil {
		w = *p
	}
	return &flagSession{word: w}
}

type flagSession struct {
	word string
	n    int
}

func (s *flagSession) Observe(_ context.Context, c *wire.Chunk, e *analysis.Emitter) error {
	s.n++
	if strings.Contains(c.Text, s.word) {
		e.Verdict(wire.Verdict{Kind: "match", Status: "detected", Confidence: 1, Rule: s.word})
	}
	if strings.Contains(c.Text, "stop") {
		e.Action(wire.ActionStop, "no-stop", "asked to stop")
	}
	return nil
}

func (s *flagSession) End(_ context.Context, why analysis.EndReason, e *analysis.Emitter) {
	e.Verdict(wire.Verdict{Kind: "summary", Status: string(why), Score: float64(s.n)})
}

func TestHarnessCollectsPerStream(t *testing.T) {
	h := analysistest.Start(t, "flag", &flagger{}, analysistest.WithPartitions(3),
		analysistest.WithSetup(func(ctx context.Context, env *bustest.Env) error {
			_, err := analysis.SeedConfig(ctx, env.JS, "flag", "word", []byte("evil"))
			return err
		}))
	h.Send("a", &wire.Meta{Tenant: "t"}, []wire.Chunk{{Text: "fine "}, {Text: "evil "}, {Text: "bad "}}, time.Millisecond)
	h.Send("b", nil, []wire.Chunk{{Text: "stop"}, {Text: "evil"}}, 0)
	h.Settle()
	va := h.Verdicts("a")
	if len(va) != 2 || va[0].Kind != "match" || va[0].Seq != 1 || va[0].Rule != "evil" ||
		va[1].Kind != "summary" || va[1].Status != string(analysis.EndFinal) || va[1].Score != 3 {
		t.Errorf("verdicts of a: %+v", va)
	}
	if acts := h.Actions("a"); len(acts) != 0 {
		t.Errorf("actions of a: %+v", acts)
	}
	vb := h.Verdicts("b")
	if len(vb) != 2 || vb[0].Seq != 1 || vb[1].Score != 2 {
		t.Errorf("verdicts of b: %+v", vb)
	}
	if acts := h.Actions("b"); len(acts) != 1 || acts[0].Type != wire.ActionStop || acts[0].Seq != 0 {
		t.Errorf("actions of b: %+v", acts)
	}
	if vs, as := h.All(); len(vs) != 2 || len(as) != 1 {
		t.Errorf("all: %+v %+v", vs, as)
	}
	// A live change applies to responses that start after it.
	h.Put("word", []byte("fine"))
	probes := 0
	bustest.Eventually(t, 5*time.Second, func() bool {
		probes++ // a new response each time: a finished one is not analysed again
		id := "probe" + strconv.Itoa(probes)
		h.Send(id, nil, []wire.Chunk{{Text: "fine"}}, 0)
		h.Settle()
		v := h.Verdicts(id)
		return len(v) > 0 && v[0].Kind == "match"
	}, "live configuration not applied")
}
