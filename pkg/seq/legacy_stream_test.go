package seq

import "fmt"

// This file keeps the matcher as it was before the split into ReferenceSet and Matcher (each
// matcher with its own copy of the tables, a linear buffer): the reference the new matcher
// must agree with match for match.

// legacyRefState is the per-reference automaton: the column of Myers' semi-global edit-distance DP
// (pattern = reference, text = stream; a match may start anywhere) as vertical delta vectors.
type legacyRefState struct {
	ref        Reference
	tab        symtab
	peq, rpeq  []uint64 // match masks of the reference and of its reverse
	zero       []uint64 // match mask of tokens absent from the reference
	pv, mv     []uint64
	words      int
	last       uint
	score      int // edit distance of the reference to the best suffix of the stream
	inRun      bool
	bestD      int
	bestEnd    int // exclusive end position of the best candidate
	quietUntil int // ends before this would overlap the last reported match
}

// legacyMatcher matches a growing token stream against several references at once. For every
// new token and reference it advances one column of the semi-global edit-distance DP with
// Myers' bit-parallel algorithm (Myers 1999, in Hyyrö's block form): O(⌈m/64⌉) word operations
// for a reference of m tokens, no rescanning, so an occurrence split across any chunk
// boundaries is found exactly as if the stream came in one piece. Only the last
// 2·max(len(ref)+MaxDist)+1 tokens are kept, to recover where a match starts.
//
// Reporting: for each reference, consecutive stream positions at which some suffix ends within
// MaxDist form a run; the run's lowest distance (earliest on ties) is reported when the run
// ends, when it reaches distance 0 (nothing can be closer), or when len(ref)+MaxDist tokens
// have passed (any later overlapping alignment would be longer than that and so farther than
// MaxDist). A candidate that would overlap the previous match of the same reference is
// dropped, so matches of one reference never overlap. A legacyMatcher is not safe for
// concurrent use.
type legacyMatcher struct {
	refs     []*legacyRefState
	buf      []int32 // stream tail; buf[0] is position bufStart
	bufStart int
	pos      int
	keep     int
	rv, rm   []uint64 // scratch for start recovery
}

// newLegacyMatcher prepares refs. It returns an error matching ErrEmpty for an empty
// reference and ErrOption for MaxDist outside [0, len(Tokens)).
func newLegacyMatcher(refs []Reference) (*legacyMatcher, error) {
	sm := &legacyMatcher{}
	for i, r := range refs {
		m := len(r.Tokens)
		if m == 0 {
			return nil, fmt.Errorf("reference %d (%s): %w", i, r.ID, ErrEmpty)
		}
		if r.MaxDist < 0 || r.MaxDist >= m {
			return nil, fmt.Errorf("%w: reference %d (%s): MaxDist %d not in [0, %d)", ErrOption, i, r.ID, r.MaxDist, m)
		}
		st := &legacyRefState{ref: r, words: (m + 63) / 64, last: uint(m-1) % 64}
		st.ref.Tokens = append([]int32(nil), r.Tokens...)
		st.tab.reset(m)
		for _, c := range r.Tokens {
			st.tab.put(c)
		}
		nsym := int(st.tab.n)
		st.peq = make([]uint64, nsym*st.words)
		st.rpeq = make([]uint64, nsym*st.words)
		for k, c := range r.Tokens {
			s := int(st.tab.get(c))
			st.peq[s*st.words+k/64] |= 1 << (uint(k) % 64)
			rk := m - 1 - k
			st.rpeq[s*st.words+rk/64] |= 1 << (uint(rk) % 64)
		}
		st.zero = make([]uint64, st.words)
		st.pv = make([]uint64, st.words)
		st.mv = make([]uint64, st.words)
		// A candidate is reported at most m+MaxDist tokens after its end and its span is at
		// most m+MaxDist tokens long.
		sm.keep = max(sm.keep, 2*(m+r.MaxDist)+1)
		sm.refs = append(sm.refs, st)
	}
	sm.Reset()
	return sm, nil
}

// Reset forgets the stream (for reuse on a new response).
func (sm *legacyMatcher) Reset() {
	for _, st := range sm.refs {
		for k := range st.pv {
			st.pv[k], st.mv[k] = ^uint64(0), 0
		}
		st.score = len(st.ref.Tokens)
		st.inRun = false
		st.quietUntil = 0
	}
	sm.buf = sm.buf[:0]
	sm.bufStart, sm.pos = 0, 0
}

// Pos returns the number of tokens consumed.
func (sm *legacyMatcher) Pos() int { return sm.pos }

// Write consumes a chunk of tokens and appends the matches it completes to dst.
func (sm *legacyMatcher) Write(dst []TextMatch, chunk []int32) []TextMatch {
	for _, t := range chunk {
		dst = sm.Push(dst, t)
	}
	return dst
}

// Push consumes one token and appends the matches it completes to dst.
func (sm *legacyMatcher) Push(dst []TextMatch, tok int32) []TextMatch {
	if len(sm.buf) >= 2*sm.keep+64 {
		drop := len(sm.buf) - sm.keep
		n := copy(sm.buf, sm.buf[drop:])
		sm.buf = sm.buf[:n]
		sm.bufStart += drop
	}
	sm.buf = append(sm.buf, tok)
	sm.pos++
	end := sm.pos
	for ri, st := range sm.refs {
		eq := st.zero
		if s := st.tab.get(tok); s >= 0 {
			eq = st.peq[int(s)*st.words : int(s+1)*st.words]
		}
		st.score += myersColumn(st.pv, st.mv, eq, 0, st.last)
		k, m := st.ref.MaxDist, len(st.ref.Tokens)
		if st.score <= k && end >= st.quietUntil {
			if !st.inRun || st.score < st.bestD {
				st.inRun, st.bestD, st.bestEnd = true, st.score, end
			}
			if st.bestD == 0 || end-st.bestEnd >= m+k {
				dst = sm.report(dst, ri, st)
			}
		} else if st.inRun {
			dst = sm.report(dst, ri, st)
		}
	}
	return dst
}

// Flush reports the open candidates, as the stream has ended.
func (sm *legacyMatcher) Flush(dst []TextMatch) []TextMatch {
	for ri, st := range sm.refs {
		if st.inRun {
			dst = sm.report(dst, ri, st)
		}
	}
	return dst
}

// report emits the candidate of st. Its start is recovered by running the reversed reference
// backwards from the end over at most len(ref)+MaxDist stream tokens with the start anchored
// (global DP on the reversed text prefix): the shortest span at the candidate's distance.
func (sm *legacyMatcher) report(dst []TextMatch, ri int, st *legacyRefState) []TextMatch {
	st.inRun = false
	m, d, end := len(st.ref.Tokens), st.bestD, st.bestEnd
	if cap(sm.rv) < st.words {
		sm.rv = make([]uint64, st.words)
		sm.rm = make([]uint64, st.words)
	}
	pv, mv := sm.rv[:st.words], sm.rm[:st.words]
	for k := range pv {
		pv[k], mv[k] = ^uint64(0), 0
	}
	score := m // D[m][0]: the whole reference against an empty span
	span := -1
	if score == d {
		span = 0
	}
	for j := 1; span < 0 && j <= m+d && end-j >= sm.bufStart; j++ {
		eq := st.zero
		if s := st.tab.get(sm.buf[end-j-sm.bufStart]); s >= 0 {
			eq = st.rpeq[int(s)*st.words : int(s+1)*st.words]
		}
		score += myersColumn(pv, mv, eq, 1, st.last)
		if score == d {
			span = j
		}
	}
	if span < 0 {
		// Unreachable: the forward pass proved a span of length <= m+d at distance d and the
		// buffer keeps that many tokens.
		panic("seq: legacyMatcher: lost the start of a match")
	}
	st.quietUntil = end + max(1, m-st.ref.MaxDist)
	return append(dst, TextMatch{Ref: ri, ID: st.ref.ID, Start: end - span, End: end, Distance: d})
}
