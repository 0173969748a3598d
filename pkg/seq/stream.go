package seq

// Reference is a token sequence to look for in a stream, such as a system prompt or a known bad
// answer, with the largest edit distance at which an occurrence still counts.
type Reference struct {
	ID      string
	Tokens  []int32
	MaxDist int // 0 <= MaxDist < len(Tokens)
}

// TextMatch is an approximate occurrence of a reference in the stream: stream tokens
// Start..End-1 (0-based positions) are within edit distance Distance of the whole reference.
type TextMatch struct {
	Ref        int    // index of the reference in the slice given to CompileReferences
	ID         string // its ID
	Start, End int
	Distance   int
}

// StreamMatcher is the matcher NewStreamMatcher returns; it is the same type as Matcher.
type StreamMatcher = Matcher

// NewStreamMatcher compiles refs and returns a matcher over them. It is
// CompileReferences(refs) followed by NewMatcher, for a single stream; to match many streams
// against the same references, compile them once and call NewMatcher per stream, which shares
// the tables instead of copying them. Errors are those of CompileReferences.
func NewStreamMatcher(refs []Reference) (*StreamMatcher, error) {
	rs, err := CompileReferences(refs)
	if err != nil {
		return nil, err
	}
	return rs.NewMatcher(), nil
}

// runState is the per-stream reporting state of one reference. Positions are int32 offsets
// from Matcher.base so that the state of a reference fits in 16 bytes; Push rebases them long
// before they could overflow.
type runState struct {
	score      int32 // edit distance of the reference to the best suffix of the stream
	bestD      int32 // distance of the open candidate; -1 when no run is open
	bestEnd    int32 // exclusive end position of the open candidate
	quietUntil int32 // ends before this would overlap the last reported match
}

// rebaseAt is the relative position at which Push moves Matcher.base forward.
const rebaseAt = 1 << 30

// Matcher matches a growing token stream against a ReferenceSet. For every new token and
// reference it advances one column of the semi-global edit-distance DP with Myers'
// bit-parallel algorithm (Myers 1999, in Hyyrö's block form): O(⌈m/64⌉) word operations for a
// reference of m tokens, no rescanning, so an occurrence split across any chunk boundaries is
// found exactly as if the stream came in one piece.
//
// A Matcher holds only what depends on its stream: two bit-vector columns and 16 bytes of
// reporting state per reference, and a ring of the last ReferenceSet.Lookback tokens to
// recover where a match starts; the match tables stay in the shared ReferenceSet. See
// ReferenceSet.MatcherBytes.
//
// Reporting: for each reference, consecutive stream positions at which some suffix ends within
// MaxDist form a run; the run's lowest distance (earliest on ties) is reported when the run
// ends, when it reaches distance 0 (nothing can be closer), or when len(ref)+MaxDist tokens
// have passed (any later overlapping alignment would be longer than that and so farther than
// MaxDist). A candidate that would overlap the previous match of the same reference is
// dropped, so matches of one reference never overlap. A Matcher is not safe for concurrent
// use; distinct matchers of one set are.
type Matcher struct {
	set  *ReferenceSet
	vec  []uint64   // per reference at 2·off: VP words, then VN words
	run  []runState // per reference
	ring []int32    // the last len(ring) tokens; position p is at p mod len(ring)
	head int        // ring index of the next token
	pos  int        // tokens consumed
	base int        // origin of the positions in run
}

// NewMatcher returns a matcher at the start of a stream. It allocates
// rs.MatcherBytes() bytes and shares everything else with rs.
func (rs *ReferenceSet) NewMatcher() *Matcher {
	m := &Matcher{
		set:  rs,
		vec:  make([]uint64, 2*rs.words),
		run:  make([]runState, len(rs.refs)),
		ring: make([]int32, rs.keep),
	}
	m.Reset()
	return m
}

// Set returns the references the matcher looks for.
func (sm *Matcher) Set() *ReferenceSet { return sm.set }

// Reset forgets the stream (for reuse on a new response).
func (sm *Matcher) Reset() {
	for ri := range sm.set.refs {
		r := &sm.set.refs[ri]
		pv, mv := sm.cols(r)
		for k := range pv {
			pv[k], mv[k] = ^uint64(0), 0
		}
		sm.run[ri] = runState{score: int32(r.m), bestD: -1}
	}
	sm.head, sm.pos, sm.base = 0, 0, 0
}

// cols returns the VP and VN columns of r.
func (sm *Matcher) cols(r *compiledRef) (pv, mv []uint64) {
	v := sm.vec[2*r.off : 2*(r.off+r.words)]
	return v[:r.words], v[r.words:]
}

// Pos returns the number of tokens consumed.
func (sm *Matcher) Pos() int { return sm.pos }

// Write consumes a chunk of tokens and appends the matches it completes to dst.
func (sm *Matcher) Write(dst []TextMatch, chunk []int32) []TextMatch {
	for _, t := range chunk {
		dst = sm.Push(dst, t)
	}
	return dst
}

// Push consumes one token and appends the matches it completes to dst.
func (sm *Matcher) Push(dst []TextMatch, tok int32) []TextMatch {
	if len(sm.ring) > 0 { // empty only for an empty set
		sm.ring[sm.head] = tok
		if sm.head++; sm.head == len(sm.ring) {
			sm.head = 0
		}
	}
	sm.pos++
	if sm.pos-sm.base >= rebaseAt {
		sm.rebase()
	}
	end := int32(sm.pos - sm.base)
	for ri := range sm.set.refs {
		r := &sm.set.refs[ri]
		eq := sm.set.zero[:r.words]
		if s := r.tab.get(tok); s >= 0 {
			eq = r.peq[int(s)*r.words : int(s+1)*r.words]
		}
		pv, mv := sm.cols(r)
		st := &sm.run[ri]
		st.score += int32(myersColumn(pv, mv, eq, 0, r.last))
		if st.score <= r.maxDist && end >= st.quietUntil {
			if st.bestD < 0 || st.score < st.bestD {
				st.bestD, st.bestEnd = st.score, end
			}
			if st.bestD == 0 || end-st.bestEnd >= r.reach {
				dst = sm.report(dst, ri)
			}
		} else if st.bestD >= 0 {
			dst = sm.report(dst, ri)
		}
	}
	return dst
}

// rebase moves the origin of the stored positions forward, keeping every position an open
// candidate can refer to non-negative; older ones only need to stay in the past.
func (sm *Matcher) rebase() {
	delta := int32(sm.pos - sm.base - sm.set.keep - 1)
	for ri := range sm.run {
		st := &sm.run[ri]
		st.bestEnd = max(st.bestEnd-delta, 0)
		st.quietUntil = max(st.quietUntil-delta, 0)
	}
	sm.base += int(delta)
}

// Flush reports the open candidates, as the stream has ended.
func (sm *Matcher) Flush(dst []TextMatch) []TextMatch {
	for ri := range sm.run {
		if sm.run[ri].bestD >= 0 {
			dst = sm.report(dst, ri)
		}
	}
	return dst
}

// recoverWords is the reference size (in 64-token words) up to which start recovery works in
// stack arrays.
const recoverWords = 16

// report emits the candidate of reference ri. Its start is recovered by running the reversed
// reference backwards from the end over at most len(ref)+MaxDist stream tokens with the start
// anchored (global DP on the reversed text prefix): the shortest span at the candidate's
// distance.
func (sm *Matcher) report(dst []TextMatch, ri int) []TextMatch {
	r, st := &sm.set.refs[ri], &sm.run[ri]
	d, rend := int(st.bestD), int(st.bestEnd)
	st.bestD = -1
	end := rend + sm.base
	var pa, ma [recoverWords]uint64
	var pv, mv []uint64
	if r.words <= recoverWords {
		pv, mv = pa[:r.words], ma[:r.words]
	} else { // rare: references over 1024 tokens, once per match
		pv, mv = make([]uint64, r.words), make([]uint64, r.words)
	}
	for k := range pv {
		pv[k], mv[k] = ^uint64(0), 0
	}
	score := r.m // D[m][0]: the whole reference against an empty span
	span := -1
	if score == d {
		span = 0
	}
	oldest := max(0, sm.pos-len(sm.ring)) // the ring holds positions oldest..pos-1
	idx := sm.head - (sm.pos - end)       // ring index of position end
	if idx < 0 {
		idx += len(sm.ring)
	}
	for j := 1; span < 0 && j <= r.m+d && end-j >= oldest; j++ {
		if idx--; idx < 0 {
			idx += len(sm.ring)
		}
		eq := sm.set.zero[:r.words]
		if s := r.tab.get(sm.ring[idx]); s >= 0 {
			eq = r.rpeq[int(s)*r.words : int(s+1)*r.words]
		}
		score += myersColumn(pv, mv, eq, 1, r.last)
		if score == d {
			span = j
		}
	}
	if span < 0 {
		// Unreachable: the forward pass proved a span of length <= m+d at distance d and the
		// ring keeps that many tokens before any end still open.
		panic("seq: Matcher: lost the start of a match")
	}
	st.quietUntil = int32(rend + max(1, r.m-int(r.maxDist)))
	return append(dst, TextMatch{Ref: ri, ID: r.id, Start: end - span, End: end, Distance: d})
}
