package seq

// Interner assigns dense int32 ids to string tokens, so that text can use the int32 fast paths
// (Aligner, StreamMatcher, RepeatDetector). Ids start at 0 in order of first appearance. An
// Interner is not safe for concurrent use.
type Interner struct {
	ids map[string]int32
}

// ID returns the id of tok, assigning the next one if tok is new.
func (in *Interner) ID(tok string) int32 {
	if in.ids == nil {
		in.ids = make(map[string]int32)
	}
	id, ok := in.ids[tok]
	if !ok {
		id = int32(len(in.ids))
		in.ids[tok] = id
	}
	return id
}

// IDs appends the ids of toks to dst.
func (in *Interner) IDs(dst []int32, toks []string) []int32 {
	for _, t := range toks {
		dst = append(dst, in.ID(t))
	}
	return dst
}

// Len returns the number of distinct tokens seen.
func (in *Interner) Len() int { return len(in.ids) }
