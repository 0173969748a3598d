package metalearn

import (
	"math"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/learn"
	"github.com/midstream/midstream/pkg/wire"
)

// maxTokenBytes is the longest token text kept for pattern mining; longer ones are cut.
const maxTokenBytes = 64

// response is the buffer of one response until it is observed: its metadata and signals from
// CHUNKS, its verdicts from VERDICTS. Memory: at most maxTokens copied token strings of at most
// maxTokenBytes each, one int per chunk for the first maxTokens chunks, and at most
// learn.MaxVerdicts verdicts: with the defaults (512 tokens) at most about 48 KiB.
type response struct {
	stream        string
	tenant, model string
	first, last   time.Time // chunk timestamps
	activity      time.Time // when the service last heard of it
	final         bool
	chunks        int
	tokens        []string
	tokenCount    int
	chunkStart    []int // token index at which chunk seq starts, for seq < len
	lpSum         float64
	lpN           int
	verdicts      []learn.Verdict
	droppedV      int
	// deferred holds labels that arrived before the verdict they label (the verdict consumer
	// lags the feedback consumer); they wait at most deferFor, at most maxDeferred of them.
	deferred      []*wire.Feedback
	deferredSince time.Time
}

// Bounds of the labels held back for a verdict that has not arrived yet.
const (
	deferFor    = 2 * time.Second
	maxDeferred = 16
)

// has reports whether a verdict of analyser and rule (or, for rule "", any rule) is buffered.
func (r *response) has(analyser, rule string) bool {
	for _, v := range r.verdicts {
		if v.Analyser == analyser && (rule == "" || v.Rule == rule) {
			return true
		}
	}
	return false
}

// waiting reports whether a deferred label still waits for its verdict.
func (r *response) waiting() bool {
	for _, f := range r.deferred {
		if !r.has(f.Analyser, f.Rule) {
			return true
		}
	}
	return false
}

func (r *response) addChunk(c *wire.Chunk, maxTokens int, now time.Time) {
	r.activity = now
	if c.Meta != nil {
		r.tenant, r.model = c.Meta.Tenant, c.Meta.Model
	}
	if r.first.IsZero() || c.Time.Before(r.first) {
		r.first = c.Time
	}
	if c.Time.After(r.last) {
		r.last = c.Time
	}
	r.chunks++
	if c.Seq < uint64(maxTokens) {
		for uint64(len(r.chunkStart)) <= c.Seq {
			r.chunkStart = append(r.chunkStart, -1)
		}
		r.chunkStart[c.Seq] = r.tokenCount
	}
	add := func(t string) {
		if len(r.tokens) < maxTokens {
			// Copy (and cut) the token so the buffer does not pin the chunk's whole text.
			if len(t) > maxTokenBytes {
				t = t[:maxTokenBytes]
			}
			r.tokens = append(r.tokens, strings.Clone(t))
		}
		r.tokenCount++
	}
	if len(c.Tokens) > 0 {
		for i := range c.Tokens {
			add(c.Tokens[i].Text)
			if lp := c.Tokens[i].Logprob; !math.IsNaN(lp) && !math.IsInf(lp, 0) {
				r.lpSum += lp
				r.lpN++
			}
		}
	} else {
		for _, f := range strings.Fields(c.Text) {
			add(f)
		}
	}
	if c.Final {
		r.final = true
	}
}

func (r *response) addVerdict(v *wire.Verdict, now time.Time) {
	r.activity = now
	if len(r.verdicts) >= learn.MaxVerdicts {
		r.droppedV++
		return
	}
	at := -1
	if v.Seq < uint64(len(r.chunkStart)) {
		at = r.chunkStart[v.Seq]
	}
	score := v.Score
	if math.IsNaN(score) || math.IsInf(score, 0) {
		score = 0
	}
	rule := v.Rule
	if rule == "" {
		rule = v.Kind
	}
	r.verdicts = append(r.verdicts, learn.Verdict{Analyser: v.Analyser, Rule: rule, Score: score, Flagged: Flagged(v), At: at})
}

// observation turns the buffer into the learner's level-0 input.
func (r *response) observation(now time.Time) *learn.Observation {
	o := &learn.Observation{Stream: r.stream, Tenant: r.tenant, Model: r.model, Time: now, Verdicts: r.verdicts, Tokens: r.tokens}
	if o.Tenant == "" {
		o.Tenant = "unknown"
	}
	if o.Model == "" {
		o.Model = "unknown"
	}
	if r.chunks > 0 {
		o.Signals = append(o.Signals,
			learn.Signal{Name: "tokens", Value: float64(r.tokenCount)},
			learn.Signal{Name: "chunks", Value: float64(r.chunks)},
			learn.Signal{Name: "duration_ms", Value: float64(r.last.Sub(r.first).Milliseconds())})
		if r.lpN > 0 {
			o.Signals = append(o.Signals, learn.Signal{Name: "mean_logprob", Value: r.lpSum / float64(r.lpN)})
		}
	}
	for _, v := range r.verdicts {
		if v.Flagged {
			o.Signals = append(o.Signals, learn.Signal{Name: "flagged", Value: 1})
			break
		}
	}
	return o
}

// Flagged reports whether a verdict found something: the statuses of a finding ("detected",
// a verifier rule "false" or "violated", a scheduler "shed") or any requested action. The demo
// labels the same verdicts.
func Flagged(v *wire.Verdict) bool {
	switch v.Status {
	case "detected", "false", "violated", "shed":
		return true
	}
	return v.Action != ""
}

// remembered is what stays of an observed response for its feedback: each analyser/rule's
// verdict score and whether it flagged (the flagged verdict if any, else the last).
type remembered struct {
	tenant, model string
	verdicts      []learn.Verdict
}

func (m *remembered) find(analyser, rule string) (learn.Verdict, bool) {
	var out learn.Verdict
	found := false
	for _, v := range m.verdicts {
		if v.Analyser == analyser && v.Rule == rule {
			if !found || v.Flagged && !out.Flagged {
				out = v
			}
			found = true
		}
	}
	return out, found
}

// record is one labelled verdict, the unit of shadow evaluation and outcome watching.
type record struct {
	stream  string
	score   float64
	flagged bool
	label   learn.Label
}

// violating reports whether the label says the response really violated the rule.
func (r *record) violating() bool {
	return r.label == learn.LabelTruePositive || r.label == learn.LabelFalseNegative
}

// ring keeps the most recent labelled records of one rule, at most cap, indexed by stream so
// that a corrected label replaces the earlier record in O(1).
type ring struct {
	recs []record
	idx  map[string]int
	next int
	cap  int
}

func (g *ring) put(r record) {
	if g.idx == nil {
		g.idx = make(map[string]int, g.cap)
	}
	if i, ok := g.idx[r.stream]; ok {
		g.recs[i] = r // a corrected label replaces the earlier one
		return
	}
	if len(g.recs) < g.cap {
		g.idx[r.stream] = len(g.recs)
		g.recs = append(g.recs, r)
		return
	}
	delete(g.idx, g.recs[g.next].stream)
	g.recs[g.next] = r
	g.idx[r.stream] = g.next
	g.next = (g.next + 1) % g.cap
}
