package compare

import (
	"context"
	"fmt"
	"math"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/seq"
	"github.com/midstream/midstream/pkg/wire"
)

// MatchEvidence is the Evidence of a "match" verdict.
type MatchEvidence struct {
	Reference     string `json:"reference"`
	ReferenceKind string `json:"reference_kind"` // the library entry's kind, or "conversation"
	// Stream is the earlier response a conversation match reproduces.
	Stream string `json:"stream,omitempty"`
	// Chunks is the first and last chunk seq of the matched span: where its first token began
	// and where its last token was completed.
	Chunks [2]uint64 `json:"chunks"`
	// Tokens is the matched span [start, end) in the response's normalised tokens.
	Tokens [2]int `json:"tokens"`
	// ReferenceTokens is the matched window [start, end) of the reference's tokens.
	ReferenceTokens [2]int  `json:"reference_tokens"`
	ReferenceLength int     `json:"reference_length"`
	Distance        int     `json:"distance"`            // token edits between span and window
	Normalised      float64 `json:"normalised_distance"` // Distance / window length
	Threshold       float64 `json:"threshold"`
	// LogprobMean is the mean log-probability of the model tokens that began inside the span,
	// when the chunks carried tokens.
	LogprobMean *float64 `json:"logprob_mean,omitempty"`
}

// RepetitionEvidence is the Evidence of a "repetition" verdict.
type RepetitionEvidence struct {
	Chunks      [2]uint64 `json:"chunks"` // first and last chunk seq of the repeating stretch
	Tokens      [2]int    `json:"tokens"` // the stretch [start, end) in normalised tokens
	Period      int       `json:"period"` // tokens per copy of the unit
	Count       int       `json:"count"`  // whole copies when detected
	LogprobMean *float64  `json:"logprob_mean,omitempty"`
}

// wordInfo is what a session remembers of one normalised token, in a ring as long as the
// longest look-back a report can need.
type wordInfo struct {
	startSeq, doneSeq uint64  // chunk where the token began, chunk where it was completed
	lp                float32 // sum of the log-probabilities attributed to it
	n                 uint16  // model tokens attributed to it
}

// hashedBase is the first id of the hashed range (see session.id).
const hashedBase = 1 << 30

type session struct {
	a      *Analyser
	st     *state
	stream string
	conv   string

	tok         tokenizer
	attrPending bool
	attrLP      float64
	cur         wordInfo

	local     map[string]int32
	nextLocal int32
	added     int // tokens of the response itself in local

	lm, cm   *seq.Matcher
	cwin     []window // conversation windows; ref indexes past
	past     []pastResponse
	convKeep int
	rd       *seq.RepeatDetector

	ring []wordInfo
	mask int
	pos  int

	reported     []bool
	convReported []bool
	repActive    bool
	repReports   int
	matches      []seq.TextMatch
	keepWords    []string

	ctx      context.Context
	e        *analysis.Emitter
	seq      uint64
	observed bool
	ended    bool
}

// Observe feeds the chunk's text, taken from its model tokens when present (with their
// log-probabilities) and from Text otherwise, through the normaliser into the matchers and
// the repetition detector.
func (s *session) Observe(ctx context.Context, c *wire.Chunk, e *analysis.Emitter) error {
	s.ctx, s.e = ctx, e
	if s.observed && c.Seq != s.seq+1 {
		// Chunks were shed: the text between is missing, so a held-back word ends here.
		s.tok.flush(s)
	}
	s.seq, s.observed = c.Seq, true
	if len(c.Tokens) > 0 {
		for i := range c.Tokens {
			s.attrPending, s.attrLP = true, c.Tokens[i].Logprob
			for _, r := range c.Tokens[i].Text {
				if s.tok.rune(r, s) == classWord && s.attrPending {
					s.attribute()
				}
			}
		}
		s.attrPending = false
	} else {
		for _, r := range c.Text {
			s.tok.rune(r, s)
		}
	}
	if c.Final {
		s.tok.flush(s)
	}
	s.e = nil
	return nil
}

// End reports what the end of the stream decides (a held-back word, open match candidates),
// and stores the response in its conversation's history.
func (s *session) End(ctx context.Context, _ analysis.EndReason, e *analysis.Emitter) {
	if s.ended {
		return
	}
	s.ended = true
	s.ctx, s.e = ctx, e
	s.tok.flush(s)
	if s.lm != nil {
		for _, m := range s.lm.Flush(s.matches[:0]) {
			s.libMatch(m)
		}
	}
	if s.cm != nil {
		for _, m := range s.cm.Flush(s.matches[:0]) {
			s.convMatch(m)
		}
	}
	s.e = nil
	if s.conv != "" && len(s.keepWords) > 0 {
		s.a.hist.add(s.conv, s.stream, s.keepWords, s.st.conv.MaxResponses)
	}
	s.lm, s.cm, s.rd, s.local, s.past = nil, nil, nil, nil, nil
}

// startConversation builds the matcher over windows of the conversation's finished
// responses.
func (s *session) startConversation(past []pastResponse) {
	cc := s.st.conv
	L := cc.MinTokens
	maxDist := int(math.Floor(cc.Threshold * float64(L)))
	var refs []seq.Reference
	budget := s.a.lim.MaxWindows
	for i := len(past) - 1; i >= 0 && budget > 0; i-- { // newest first
		p := past[i]
		if len(p.words) < L {
			continue
		}
		ids := make([]int32, len(p.words))
		for k, w := range p.words {
			ids[k] = s.id(w, false)
		}
		for _, st := range windowStarts(len(ids), L) {
			if budget == 0 {
				break
			}
			budget--
			refs = append(refs, seq.Reference{ID: p.stream, Tokens: ids[st : st+L], MaxDist: maxDist})
			s.cwin = append(s.cwin, window{ref: i, start: st, end: st + L})
		}
	}
	if len(refs) == 0 {
		return
	}
	cm, err := seq.NewStreamMatcher(refs)
	if err != nil { // windows are non-empty and maxDist < L by ParseConversation
		return
	}
	s.cm, s.past = cm, past
	s.convReported = make([]bool, len(past))
	s.convKeep = 2*(L+maxDist) + 2
}

// id maps a token to the int32 the matchers compare. Library tokens have the library's ids;
// other tokens get session-local ids after them: all tokens of the conversation's earlier
// responses (bounded by the conversation policy) and the first Limits.MaxSessionVocab other
// tokens of the response exactly, later ones by a 30-bit FNV-1a hash above hashedBase. Hashed
// ids never equal a library or conversation id, so matching stays exact; two different hashed
// tokens can collide (probability 2^-30 per pair), which only the repetition detector could
// notice.
func (s *session) id(tok string, capped bool) int32 {
	if id, ok := s.st.lib.vocab[tok]; ok {
		return id
	}
	if id, ok := s.local[tok]; ok {
		return id
	}
	if s.local == nil {
		s.local = make(map[string]int32)
	}
	if !capped || s.added < s.a.lim.MaxSessionVocab {
		id := s.nextLocal
		s.nextLocal++
		s.local[tok] = id
		if capped {
			s.added++
		}
		return id
	}
	h := uint32(2166136261)
	for i := 0; i < len(tok); i++ {
		h = (h ^ uint32(tok[i])) * 16777619
	}
	return int32(hashedBase | h&(hashedBase-1))
}

func (s *session) idBytes(tok []byte) int32 {
	// Map lookups with string(tok) do not allocate; only a new local token does.
	if id, ok := s.st.lib.vocab[string(tok)]; ok {
		return id
	}
	if id, ok := s.local[string(tok)]; ok {
		return id
	}
	return s.id(string(tok), true)
}

// begin implements tokenSink: a token starts in the current chunk.
func (s *session) begin() {
	s.cur = wordInfo{startSeq: s.seq}
	if s.attrPending {
		s.attribute()
	}
}

// attribute gives the current model token's log-probability to the normalised token its
// first non-space character falls in.
func (s *session) attribute() {
	s.attrPending = false
	if s.cur.n < math.MaxUint16 {
		s.cur.lp += float32(s.attrLP)
		s.cur.n++
	}
}

// end implements tokenSink: the token is complete.
func (s *session) end(tok []byte) {
	id := s.idBytes(tok)
	s.cur.doneSeq = s.seq
	s.ring[s.pos&s.mask] = s.cur
	s.pos++
	if s.keepWords != nil && len(s.keepWords) < s.st.conv.MaxTokens {
		s.keepWords = append(s.keepWords, string(tok))
	}
	if s.lm != nil {
		s.matches = s.lm.Push(s.matches[:0], id)
		for _, m := range s.matches {
			s.libMatch(m)
		}
	}
	if s.cm != nil {
		s.matches = s.cm.Push(s.matches[:0], id)
		for _, m := range s.matches {
			s.convMatch(m)
		}
	}
	if s.rd != nil {
		if rep, ok := s.rd.Push(id); ok {
			if !s.repActive {
				s.repActive = true
				s.repetition(rep)
			}
		} else if _, on := s.rd.Current(); !on {
			s.repActive = false
		}
	}
}

// span returns the chunk range and mean log-probability of tokens start..end-1, which the
// ring still holds (its size covers the matchers' and the detector's look-back).
func (s *session) span(start, end int) (chunks [2]uint64, lp *float64) {
	start = max(start, s.pos-len(s.ring), 0)
	if end <= start {
		return [2]uint64{s.seq, s.seq}, nil
	}
	chunks = [2]uint64{s.ring[start&s.mask].startSeq, s.ring[(end-1)&s.mask].doneSeq}
	var sum float64
	var n int
	for k := start; k < end; k++ {
		w := &s.ring[k&s.mask]
		sum += float64(w.lp)
		n += int(w.n)
	}
	if n > 0 {
		mean := sum / float64(n)
		lp = &mean
	}
	return chunks, lp
}

func (s *session) libMatch(m seq.TextMatch) {
	lib := s.st.lib
	w := lib.win[m.Ref]
	if s.reported[w.ref] {
		return
	}
	s.reported[w.ref] = true
	r := &lib.refs[w.ref]
	s.emitMatch(m, w, r.ID, r.Kind, "", r.length, r.threshold, r.Action)
}

func (s *session) convMatch(m seq.TextMatch) {
	w := s.cwin[m.Ref]
	if s.convReported[w.ref] {
		return
	}
	s.convReported[w.ref] = true
	p := s.past[w.ref]
	cc := s.st.conv
	s.emitMatch(m, w, RuleConversationPrefix+p.stream, "conversation", p.stream, len(p.words), cc.Threshold, cc.Action)
}

func (s *session) emitMatch(m seq.TextMatch, w window, rule, kind, stream string, refLen int, thr float64, action string) {
	chunks, lp := s.span(m.Start, m.End)
	L := w.end - w.start
	norm := float64(m.Distance) / float64(L)
	reason := fmt.Sprintf("reproduces %d tokens of %s %s at edit distance %d (%.3f ≤ %.3f)", L, kind, rule, m.Distance, norm, thr)
	s.e.Verdict(wire.Verdict{
		Kind: KindMatch, Rule: rule, Status: StatusDetected, Score: norm, Confidence: 1 - norm,
		Action: action, Reason: reason,
		Evidence: analysis.Evidence(MatchEvidence{
			Reference: rule, ReferenceKind: kind, Stream: stream, Chunks: chunks, Tokens: [2]int{m.Start, m.End},
			ReferenceTokens: [2]int{w.start, w.end}, ReferenceLength: refLen, Distance: m.Distance,
			Normalised: norm, Threshold: thr, LogprobMean: lp,
		}),
	})
	if action != ActionNone {
		s.e.Action(wire.ActionType(action), rule, reason)
	}
	metricRef := rule
	if stream != "" {
		metricRef = "conversation" // one series, not one per earlier response
	}
	s.a.m.match(s.ctx, metricRef, kind, action)
}

func (s *session) repetition(rep seq.Repeat) {
	if s.repReports >= MaxRepetitionVerdicts {
		return
	}
	s.repReports++
	chunks, lp := s.span(rep.Start, rep.End)
	action := s.st.rep.Action
	reason := fmt.Sprintf("repeats a unit of %d tokens %d times (tokens %d..%d)", rep.Period, rep.Count, rep.Start, rep.End)
	s.e.Verdict(wire.Verdict{
		Kind: KindRepetition, Rule: RuleRepetition, Status: StatusDetected, Score: float64(rep.Count), Confidence: 1,
		Action: action, Reason: reason,
		Evidence: analysis.Evidence(RepetitionEvidence{
			Chunks: chunks, Tokens: [2]int{rep.Start, rep.End}, Period: rep.Period, Count: rep.Count, LogprobMean: lp,
		}),
	})
	if action != ActionNone {
		s.e.Action(wire.ActionType(action), RuleRepetition, reason)
	}
	s.a.m.repetition(s.ctx, action)
}
