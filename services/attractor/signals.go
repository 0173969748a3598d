package attractor

import (
	"math"
	"unicode/utf8"

	"github.com/midstream/midstream/pkg/wire"
)

// TopEntropy returns the Shannon entropy, in nats, of the distribution over t and its top
// alternatives renormalised to sum to 1 (an alternative with the same text as t is counted
// once), and false when t has no alternatives. It is a lower bound on the entropy of the
// model's full next-token distribution restricted to what the gateway reports: a confident
// token with weak alternatives gives ≈ 0, a coin toss between two ln 2.
func TopEntropy(t *wire.Token) (float64, bool) {
	if len(t.Top) == 0 {
		return 0, false
	}
	// Subtract the largest log-probability before exponentiating so that very negative
	// values do not underflow to a zero total.
	m := t.Logprob
	for i := range t.Top {
		m = math.Max(m, t.Top[i].Logprob)
	}
	var z, s float64
	add := func(lp float64) {
		w := math.Exp(lp - m)
		z += w
		s += w * (lp - m)
	}
	add(t.Logprob)
	for i := range t.Top {
		if t.Top[i].Text == t.Text {
			continue
		}
		add(t.Top[i].Logprob)
	}
	// H = -Σ q ln q with q = w/z: = ln z - Σ w (lp-m) / z.
	h := math.Log(z) - s/z
	return math.Max(h, 0), true
}

// chunkLength is the length of a chunk's text in characters (runes).
func chunkLength(c *wire.Chunk) int { return utf8.RuneCountInString(c.Text) }
