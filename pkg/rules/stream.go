package rules

import (
	"math"
	"time"

	"github.com/midstream/midstream/pkg/wire"
)

// Stream computes the propositions of one response, chunk by chunk. Its memory is bounded,
// whatever the response's length, by the set's regex window, scratch buffers the size of the
// largest chunk (for regex sets), MaxToolCallsTrack tool calls and one bit per JSON nesting
// level beyond 64. A Stream is not safe for concurrent use.
type Stream struct {
	set     *Set
	next    uint64 // seq of the next chunk
	done    bool   // the final chunk was seen
	prevT   time.Time
	hasPrev bool

	acExact, acFold int32
	email           emailState
	num             numberState
	json            JSONPrefix

	// Regex window: tail is the end of the text seen so far (rune-aligned), pend the bytes of
	// an incomplete UTF-8 sequence held back until the next chunk completes it.
	tail []byte
	pend []byte
	win  []byte
	rev  []byte
	// Prefilter: the automaton state over the regex literals, the text offset of the window's
	// new part, and for each regex the offset just past the last required literal seen.
	litState int32
	offset   int64
	litEnd   []int64

	tools []toolCall
}

type toolCall struct {
	index    int
	open     bool
	invalid  bool // tool_args_invalid already reported
	hasBytes bool
	args     JSONPrefix
}

// NewStream returns the per-response state for s.
func (s *Set) NewStream() *Stream {
	st := &Stream{set: s}
	if s.tailLen > 0 {
		st.tail = make([]byte, 0, s.tailLen)
	}
	st.litEnd = make([]int64, len(s.regexes))
	for i := range st.litEnd {
		st.litEnd[i] = -1
	}
	return st
}

// Reset prepares st for a new response, keeping its memory.
func (st *Stream) Reset() {
	*st = Stream{set: st.set, tail: st.tail[:0], pend: st.pend[:0], win: st.win[:0], rev: st.rev[:0], tools: st.tools[:0],
		json: JSONPrefix{high: st.json.high[:0]}, litEnd: st.litEnd}
	for i := range st.litEnd {
		st.litEnd[i] = -1
	}
}

// Seq returns the seq of the chunk Next expects.
func (st *Stream) Seq() uint64 { return st.next }

// Next computes the valuation of chunk c into dst (resized to the set's Words and cleared;
// pass the previous result to avoid allocation) and returns it. Chunks must arrive in order
// starting at seq 0; a chunk with any other seq, or any chunk after the final one, returns an
// *OrderError (matching ErrOutOfOrder) and leaves the state unchanged, so the caller can drop
// duplicates.
func (st *Stream) Next(dst Valuation, c *wire.Chunk) (Valuation, error) {
	s := st.set
	if st.done || c.Seq != st.next {
		want := st.next
		if st.done {
			want = math.MaxUint64
		}
		return dst, &OrderError{Want: want, Got: c.Seq}
	}
	st.next++
	v := dst.sized(s.words)
	text := c.Text

	if s.acExact != nil {
		st.acExact = s.acExact.scan(v, st.acExact, text)
	}
	if s.acFold != nil {
		st.acFold = s.acFold.scan(v, st.acFold, text)
	}
	if len(s.email) > 0 {
		for i := 0; i < len(text); i++ {
			if st.email.step(text[i]) {
				setAll(v, s.email)
			}
		}
	}
	if len(s.phone) > 0 || len(s.card) > 0 {
		var ev numberEvent
		for i := 0; i < len(text); i++ {
			ev |= st.num.step(text[i])
		}
		if c.Final {
			ev |= st.num.flush()
		}
		if ev&numPhone != 0 {
			setAll(v, s.phone)
		}
		if ev&numCard != 0 {
			setAll(v, s.card)
		}
	}
	if len(s.regexes) > 0 {
		st.regexChunk(v, text, c.Final)
	}
	if len(s.jsonPrefix) > 0 || len(s.jsonComplete) > 0 {
		st.json.WriteString(text)
		if st.json.Valid() {
			setAll(v, s.jsonPrefix)
		}
		if st.json.Complete() {
			setAll(v, s.jsonComplete)
		}
	}
	if len(s.toolStart)+len(s.toolEnd)+len(s.toolInvalid) > 0 {
		st.toolChunk(v, c)
	}
	if c.Final {
		st.done = true
		setAll(v, s.final)
		for _, f := range s.finish {
			for _, r := range f.values {
				if r == c.FinishReason {
					v.Set(f.prop)
					break
				}
			}
		}
	}
	if len(s.signals) > 0 {
		st.signalChunk(v, c)
	}
	st.prevT, st.hasPrev = c.Time, true
	return v, nil
}

func setAll(v Valuation, props []int) {
	for _, p := range props {
		v.Set(p)
	}
}

// regexChunk searches the window (kept tail + new text) for matches that end in the new text.
func (st *Stream) regexChunk(v Valuation, text string, final bool) {
	s := st.set
	// New bytes: those held back from the previous chunk, then this chunk's, minus a trailing
	// incomplete rune unless the response ends here.
	st.pend = append(st.pend, text...)
	hold := 0
	if !final {
		hold = incompleteSuffix(st.pend)
	}
	fresh := st.pend[:len(st.pend)-hold]
	newLen := len(fresh)
	if s.regexAC != nil {
		m := s.regexAC
		q := st.litState
		for i, c := range fresh {
			q = m.delta[int(q)*m.nclass+int(m.class[c])]
			for _, r := range m.outProps[m.outStart[q]:m.outStart[q+1]] {
				st.litEnd[r] = st.offset + int64(i) + 1
			}
		}
		st.litState = q
	}
	if newLen > 0 {
		tailLen := len(st.tail)
		winStart := st.offset - int64(tailLen) // text offset of the window's first byte
		var w, rev []byte                      // built on first need: most chunks are filtered out
		for ri, r := range s.regexes {
			// A match of at most maxLen bytes that ends in the new text starts at or after
			// tailLen+1-maxLen; the cut moves back to a rune start so it never splits a rune.
			start := max(0, tailLen+1-r.maxLen)
			if start > 0 && start < tailLen {
				start = runeStart(st.tail, start)
			}
			if r.filtered && st.litEnd[ri] <= winStart+int64(start) {
				continue // no required literal inside the window: no match possible
			}
			if w == nil {
				st.win = append(append(st.win[:0], st.tail...), fresh...)
				w = st.win
				if cap(st.rev) < len(w) {
					st.rev = make([]byte, len(w), 2*len(w))
				}
				rev = st.rev[:len(w)]
				reverseRunes(rev, w)
			}
			loc := r.rev.FindIndex(rev[:len(w)-start])
			if loc != nil && loc[0] < newLen {
				v.Set(r.prop)
			}
		}
	}
	st.offset += int64(newLen)
	// Keep the last tailLen bytes of tail+fresh, cut at a rune start.
	if keep := s.tailLen - newLen; keep <= 0 {
		st.tail = append(st.tail[:0], fresh[newLen-s.tailLen:]...)
	} else {
		if drop := len(st.tail) - keep; drop > 0 {
			st.tail = st.tail[:copy(st.tail, st.tail[drop:])]
		}
		st.tail = append(st.tail, fresh...)
	}
	skip := 0
	for skip < utfMax-1 && skip < len(st.tail) && !isRuneStart(st.tail[skip]) {
		skip++
	}
	if skip > 0 {
		st.tail = st.tail[:copy(st.tail, st.tail[skip:])]
	}
	n := copy(st.pend, st.pend[len(st.pend)-hold:])
	st.pend = st.pend[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// toolChunk derives tool-call start, end and argument validity from the chunk's deltas.
func (st *Stream) toolChunk(v Valuation, c *wire.Chunk) {
	s := st.set
	for i := range c.ToolCalls {
		d := &c.ToolCalls[i]
		tc := st.findTool(d.Index)
		if tc == nil {
			if len(st.tools) >= MaxToolCallsTrack {
				continue
			}
			// A new call ends every open one: OpenAI-style streams send calls one after another.
			for j := range st.tools {
				st.endTool(v, &st.tools[j])
			}
			st.tools = append(st.tools, toolCall{index: d.Index, open: true})
			tc = &st.tools[len(st.tools)-1]
			tc.args.Reset()
			setAll(v, s.toolStart)
		}
		if d.Arguments == "" {
			continue
		}
		tc.hasBytes = true
		a := d.Arguments
		if tc.open {
			// Byte by byte until the arguments close, so that trailing bytes in the same delta
			// cannot hide the end.
			for len(a) > 0 && tc.args.Valid() {
				tc.args.WriteString(a[:1])
				a = a[1:]
				if tc.args.Closed() {
					tc.open = false
					setAll(v, s.toolEnd)
					break
				}
			}
		}
		tc.args.WriteString(a)
		if !tc.args.Valid() && !tc.invalid {
			tc.invalid = true
			setAll(v, s.toolInvalid)
		}
	}
	if c.Final {
		for j := range st.tools {
			st.endTool(v, &st.tools[j])
		}
	}
}

func (st *Stream) findTool(index int) *toolCall {
	for j := range st.tools {
		if st.tools[j].index == index {
			return &st.tools[j]
		}
	}
	return nil
}

// endTool closes an open call because another began or the response ended. Arguments that
// are not a complete JSON text make it invalid; no arguments at all count as "{}".
func (st *Stream) endTool(v Valuation, tc *toolCall) {
	if !tc.open {
		return
	}
	tc.open = false
	setAll(v, st.set.toolEnd)
	if tc.hasBytes && !tc.args.Complete() && !tc.invalid {
		tc.invalid = true
		setAll(v, st.set.toolInvalid)
	}
}

// signalChunk evaluates the numeric comparisons.
func (st *Stream) signalChunk(v Valuation, c *wire.Chunk) {
	s := st.set
	var minLP, meanLP, maxH, meanH, gap float64
	haveLP, haveH, haveGap := false, false, false
	if s.needLogprob && len(c.Tokens) > 0 {
		minLP = math.Inf(1)
		for i := range c.Tokens {
			lp := c.Tokens[i].Logprob
			minLP = min(minLP, lp)
			meanLP += lp
		}
		meanLP /= float64(len(c.Tokens))
		haveLP = true
	}
	if s.needEntropy {
		n := 0
		for i := range c.Tokens {
			h, ok := topEntropy(c.Tokens[i].Top)
			if !ok {
				continue
			}
			if n == 0 || h > maxH {
				maxH = h
			}
			meanH += h
			n++
		}
		if n > 0 {
			meanH /= float64(n)
			haveH = true
		}
	}
	if s.needGap && st.hasPrev && !c.Time.IsZero() && !st.prevT.IsZero() {
		gap = float64(c.Time.Sub(st.prevT)) / float64(time.Millisecond)
		haveGap = true
	}
	for _, p := range s.signals {
		var x float64
		switch p.signal {
		case SignalMinLogprob:
			if !haveLP {
				continue
			}
			x = minLP
		case SignalMeanLogprob:
			if !haveLP {
				continue
			}
			x = meanLP
		case SignalEntropy:
			if !haveH {
				continue
			}
			x = maxH
		case SignalMeanEntropy:
			if !haveH {
				continue
			}
			x = meanH
		case SignalGapMS:
			if !haveGap {
				continue
			}
			x = gap
		case SignalChunkLen:
			x = float64(len(c.Text))
		case SignalTokens:
			x = float64(len(c.Tokens))
		case SignalSeq:
			x = float64(c.Seq)
		}
		if p.holds(x) {
			v.Set(p.prop)
		}
	}
}

// topEntropy returns the Shannon entropy (nats) of the alternatives' probabilities,
// renormalised to sum to one, since the top-k list omits the tail of the distribution.
func topEntropy(top []wire.TopLogprob) (float64, bool) {
	if len(top) == 0 {
		return 0, false
	}
	m := math.Inf(-1)
	for _, t := range top {
		m = max(m, t.Logprob)
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return 0, false
	}
	// log-sum-exp around the largest term for stability.
	var z, ez float64
	for _, t := range top {
		d := t.Logprob - m
		if d == 0 { // the largest term: exp(0) = 1, and it adds nothing to ez
			z++
			continue
		}
		e := math.Exp(d)
		z += e
		ez += e * d
	}
	if z == 1 {
		return 0, true // a single alternative carries all the mass
	}
	// H = log z - E[lp - m] with probabilities e/z.
	return math.Log(z) - ez/z, true
}
