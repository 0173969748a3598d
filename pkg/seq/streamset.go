package seq

import (
	"fmt"
	"unsafe"
)

// MaxReferenceSpan is the largest len(Tokens)+MaxDist of a reference CompileReferences
// accepts. It keeps the matcher's int32 positions far from overflow; real references are
// orders of magnitude shorter.
const MaxReferenceSpan = 1 << 24

// compiledRef is the immutable part of one reference's automaton: Myers' match masks of the
// reference (pattern = reference, text = stream; a match may start anywhere) and of its
// reverse, for start recovery.
type compiledRef struct {
	id        string
	m         int
	maxDist   int32
	reach     int32 // m + MaxDist: the longest alignment within MaxDist
	tab       symtab
	peq, rpeq []uint64 // words per symbol
	words     int
	last      uint // bit of row m in the last word
	off       int  // first word of the reference's columns in Matcher.vec (times 2)
}

// ReferenceSet is a compiled, immutable set of references: the match tables that every
// Matcher of the set reads. Compile a library once and call NewMatcher for each stream; a
// ReferenceSet is safe for concurrent use by any number of matchers.
type ReferenceSet struct {
	refs  []compiledRef
	zero  []uint64 // match mask of tokens absent from a reference (read only)
	words int      // sum of the references' words
	keep  int      // ring length of a matcher: 2·max(len(ref)+MaxDist)
}

// CompileReferences validates refs and builds their match tables. It returns an error
// matching ErrEmpty for an empty reference, ErrOption for MaxDist outside
// [0, len(Tokens)) and ErrTooLarge when len(Tokens)+MaxDist exceeds MaxReferenceSpan. An empty
// refs gives a set whose matchers never report. refs is not retained.
func CompileReferences(refs []Reference) (*ReferenceSet, error) {
	rs := &ReferenceSet{refs: make([]compiledRef, len(refs))}
	maxWords := 0
	for i, ref := range refs {
		m := len(ref.Tokens)
		if m == 0 {
			return nil, fmt.Errorf("reference %d (%s): %w", i, ref.ID, ErrEmpty)
		}
		if ref.MaxDist < 0 || ref.MaxDist >= m {
			return nil, fmt.Errorf("%w: reference %d (%s): MaxDist %d not in [0, %d)", ErrOption, i, ref.ID, ref.MaxDist, m)
		}
		if m+ref.MaxDist > MaxReferenceSpan {
			return nil, fmt.Errorf("%w: reference %d (%s): %d tokens + MaxDist %d, limit %d", ErrTooLarge, i, ref.ID, m, ref.MaxDist, MaxReferenceSpan)
		}
		r := &rs.refs[i]
		*r = compiledRef{id: ref.ID, m: m, maxDist: int32(ref.MaxDist), reach: int32(m + ref.MaxDist),
			words: (m + 63) / 64, last: uint(m-1) % 64, off: rs.words}
		r.tab.reset(m)
		for _, c := range ref.Tokens {
			r.tab.put(c)
		}
		nsym := int(r.tab.n)
		r.peq = make([]uint64, nsym*r.words)
		r.rpeq = make([]uint64, nsym*r.words)
		for k, c := range ref.Tokens {
			s := int(r.tab.get(c))
			r.peq[s*r.words+k/64] |= 1 << (uint(k) % 64)
			rk := m - 1 - k
			r.rpeq[s*r.words+rk/64] |= 1 << (uint(rk) % 64)
		}
		rs.words += r.words
		maxWords = max(maxWords, r.words)
		// A candidate is reported at most m+MaxDist tokens after its end and its span is at
		// most m+MaxDist tokens long.
		rs.keep = max(rs.keep, 2*(m+ref.MaxDist))
	}
	rs.zero = make([]uint64, maxWords)
	return rs, nil
}

// Len returns the number of references.
func (rs *ReferenceSet) Len() int { return len(rs.refs) }

// ID returns the ID of reference i.
func (rs *ReferenceSet) ID(i int) string { return rs.refs[i].id }

// Lookback returns how many of the last tokens a matcher keeps to recover match starts:
// 2·max(len(Tokens)+MaxDist) over the references.
func (rs *ReferenceSet) Lookback() int { return rs.keep }

// MatcherBytes returns the heap bytes one matcher of the set holds (before size-class
// rounding): 16 bytes per 64 tokens of each reference for the DP columns, 16 per reference
// for the reporting state, 4 per Lookback token and the Matcher itself.
func (rs *ReferenceSet) MatcherBytes() int {
	return int(unsafe.Sizeof(Matcher{})) + 2*rs.words*8 + len(rs.refs)*int(unsafe.Sizeof(runState{})) + rs.keep*4
}
