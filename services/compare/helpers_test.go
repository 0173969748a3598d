package compare_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis/analysistest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/compare"
)

// harness runs the compare analyser on an embedded bus and records what it publishes.
type harness struct {
	*analysistest.Harness
	a *compare.Analyser
}

func startHarness(t *testing.T, opts ...compare.Option) *harness {
	t.Helper()
	a, err := compare.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Harness: analysistest.Start(t, compare.Name, a, analysistest.WithSettleTimeout(20*time.Second)), a: a}
}

// put stores a configuration value (JSON-encoded unless already []byte) under compare.<key>.
func (h *harness) put(key string, v any) {
	h.T.Helper()
	if b, ok := v.([]byte); ok {
		h.Put(key, b)
		return
	}
	h.PutJSON(key, v)
}

// send publishes a response: its chunks get seq 0.., chunk 0 the metadata, the last Final.
func (h *harness) send(stream string, meta *wire.Meta, chunks []wire.Chunk) {
	h.T.Helper()
	h.Send(stream, meta, chunks, 0)
}

// settle waits until the analyser has acknowledged every chunk (so every finding is stored),
// then collects what was published.
func (h *harness) settle() { h.T.Helper(); h.Settle() }

func (h *harness) verdictsOf(stream string) []wire.Verdict { return h.Verdicts(stream) }

func (h *harness) actionsOf(stream string) []wire.Action { return h.Actions(stream) }

// vocabulary of made-up words, so that prose never reproduces a reference by chance.
var vocabulary = func() []string {
	r := rand.New(rand.NewPCG(7, 7))
	syll := []string{"ka", "lo", "mi", "ne", "su", "ta", "vo", "re", "pi", "da", "gu", "ze"}
	out := make([]string, 400)
	for i := range out {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		out[i] = b.String()
	}
	return out
}()

func prose(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		if r.IntN(12) == 0 {
			b.WriteString([]string{",", ".", ";", "!"}[r.IntN(4)])
		}
	}
	return b.String()
}

// split cuts text into chunks of 1..maxLen bytes at random places (text is ASCII, or cut on
// rune boundaries), with model tokens (pieces ending after a space, random log-probabilities)
// when withTokens.
func split(r *rand.Rand, text string, maxLen int, withTokens bool) []wire.Chunk {
	var out []wire.Chunk
	for len(text) > 0 {
		n := min(len(text), 1+r.IntN(maxLen))
		for n < len(text) && !utf8RuneStart(text[n]) {
			n++
		}
		c := wire.Chunk{Text: text[:n]}
		if withTokens {
			for _, f := range strings.SplitAfter(c.Text, " ") {
				if f != "" {
					c.Tokens = append(c.Tokens, wire.Token{Text: f, Logprob: -r.ExpFloat64()})
				}
			}
		}
		out = append(out, c)
		text = text[n:]
	}
	return out
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
