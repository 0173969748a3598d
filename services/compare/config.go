package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/midstream/midstream/pkg/seq"
)

// Configuration keys compare reads from ms_config (the runtime strips the "compare." prefix).
const (
	KeyReferences   = "references"
	KeyRepetition   = "repetition"
	KeyConversation = "conversation"
)

// Actions a reference, the repetition policy or the conversation policy may ask for.
const (
	ActionNone = ""
	ActionStop = "stop"
	ActionFlag = "flag"
)

// Defaults of a reference entry.
const (
	DefaultThreshold = 0.15
	DefaultKind      = "reference"
	// MinMatchTokens is the shortest match compare accepts: shorter ones would fire on common
	// phrases.
	MinMatchTokens = 4
)

// ReferenceSpec is one entry of the compare.references list.
type ReferenceSpec struct {
	// ID names the reference in verdicts (Rule) and metrics: 1..128 bytes of [A-Za-z0-9_.:-].
	ID string `json:"id"`
	// Text is the reference, normalised like responses (see Tokenize).
	Text string `json:"text"`
	// Kind labels it for metrics and evidence, e.g. "system_prompt", "bad_answer" (default
	// "reference"): 1..32 bytes of [a-z0-9_].
	Kind string `json:"kind,omitempty"`
	// Threshold is the largest normalised edit distance (edits / matched reference tokens) at
	// which a match counts, in [0, 1); absent means DefaultThreshold, 0 means exact.
	Threshold *float64 `json:"threshold,omitempty"`
	// MinTokens is how many consecutive reference tokens must be reproduced to count as a
	// match; 0 (or at least the reference's length) means the whole reference. At least
	// MinMatchTokens.
	MinTokens int `json:"min_tokens,omitempty"`
	// Action is what to ask of the gateway on a match: "stop", "flag" or "" (verdict only).
	Action string `json:"action,omitempty"`
}

// Limits bound the reference library and the conversation history; zero fields take the
// defaults below.
type Limits struct {
	MaxValueBytes      int // encoded compare.references value (default 1 MiB)
	MaxReferences      int // entries (default 256)
	MaxReferenceTokens int // tokens of one reference (default 4096)
	MaxLibraryTokens   int // tokens of all references (default 65536)
	MaxWindows         int // match windows of all references, the per-token cost (default 4096)
	// MaxHistoryTokens bounds the tokens of finished responses kept for conversation
	// cross-matching across all conversations (default 1<<20); the least recently used
	// conversations are forgotten first.
	MaxHistoryTokens int
	// MaxSessionVocab bounds the distinct tokens a response may add to its session vocabulary
	// (default 8192); beyond it tokens get hashed ids (see docs).
	MaxSessionVocab int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxValueBytes, 1<<20)
	def(&l.MaxReferences, 256)
	def(&l.MaxReferenceTokens, 4096)
	def(&l.MaxLibraryTokens, 65536)
	def(&l.MaxWindows, 4096)
	def(&l.MaxHistoryTokens, 1<<20)
	def(&l.MaxSessionVocab, 8192)
	return l
}

// window is one piece of a reference the matcher looks for.
type window struct {
	ref        int // index in Library.refs (or in the conversation's past responses)
	start, end int // reference tokens start..end-1
}

// libRef is a validated reference.
type libRef struct {
	ReferenceSpec
	threshold float64
	length    int // tokens
	minTokens int // match length actually used
}

// Library is a validated, immutable reference library with its token vocabulary and its match
// windows compiled into a seq.ReferenceSet. Sessions share it (the set's match tables
// included); each session holds only a light seq.Matcher of the set.
type Library struct {
	refs    []libRef
	vocab   map[string]int32
	windows []seq.Reference
	set     *seq.ReferenceSet // nil when there are no windows
	win     []window
	tokens  int
	keep    int // tokens of look-back a match report can need
}

// Len returns the number of references.
func (l *Library) Len() int { return len(l.refs) }

// Tokens returns the total number of reference tokens.
func (l *Library) Tokens() int { return l.tokens }

// Windows returns the number of match windows (the matcher's per-token work is one
// bit-parallel step per window and 64 tokens of window length).
func (l *Library) Windows() int { return len(l.windows) }

// IDs returns the reference ids in library order.
func (l *Library) IDs() []string {
	out := make([]string, len(l.refs))
	for i := range l.refs {
		out[i] = l.refs[i].ID
	}
	return out
}

// matcher returns a new matcher of the library's windows for one response, or nil when the
// library is empty. It allocates only the per-stream state (seq.ReferenceSet.MatcherBytes,
// ≈ 3.5 KB for 20 references of 200 tokens matched whole), so there is no pool to return it
// to: a finished session's matcher is garbage like the rest of the session.
func (l *Library) matcher() *seq.Matcher {
	if l.set == nil {
		return nil
	}
	return l.set.NewMatcher()
}

var emptyLibrary = &Library{vocab: map[string]int32{}}

// ParseReferences validates a compare.references value (a JSON list of ReferenceSpec; null or
// [] is the empty library) and prepares it. Errors match ErrConfig, and ErrTooLarge for limit
// violations.
func ParseReferences(data []byte, lim Limits) (*Library, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxValueBytes {
		return nil, &ConfigError{Key: KeyReferences, Index: -1, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxValueBytes)}
	}
	var specs []ReferenceSpec
	if err := decodeStrict(data, &specs); err != nil {
		return nil, &ConfigError{Key: KeyReferences, Index: -1, Err: err}
	}
	if len(specs) > lim.MaxReferences {
		return nil, &ConfigError{Key: KeyReferences, Index: -1, Err: fmt.Errorf("%w: %d references, limit %d", ErrTooLarge, len(specs), lim.MaxReferences)}
	}
	l := &Library{vocab: map[string]int32{}}
	seen := map[string]bool{}
	var toks []string
	for i, s := range specs {
		if !validID(s.ID) {
			return nil, cfgErr(KeyReferences, i, "id", "%q is not 1..128 bytes of [A-Za-z0-9_.:-]", s.ID)
		}
		if seen[s.ID] {
			return nil, cfgErr(KeyReferences, i, "id", "duplicate id %q", s.ID)
		}
		seen[s.ID] = true
		if s.Kind == "" {
			s.Kind = DefaultKind
		}
		if !validKind(s.Kind) {
			return nil, cfgErr(KeyReferences, i, "kind", "%q is not 1..32 bytes of [a-z0-9_]", s.Kind)
		}
		if !validAction(s.Action) {
			return nil, cfgErr(KeyReferences, i, "action", "%q is not stop, flag or empty", s.Action)
		}
		thr := DefaultThreshold
		if s.Threshold != nil {
			thr = *s.Threshold
		}
		if !(thr >= 0 && thr < 1) {
			return nil, cfgErr(KeyReferences, i, "threshold", "%v is not in [0, 1)", thr)
		}
		if s.MinTokens < 0 {
			return nil, cfgErr(KeyReferences, i, "min_tokens", "%d is negative", s.MinTokens)
		}
		toks = Tokenize(toks[:0], s.Text)
		n := len(toks)
		if n > lim.MaxReferenceTokens {
			return nil, &ConfigError{Key: KeyReferences, Index: i, Field: "text", Err: fmt.Errorf("%w: %d tokens, limit %d", ErrTooLarge, n, lim.MaxReferenceTokens)}
		}
		if l.tokens += n; l.tokens > lim.MaxLibraryTokens {
			return nil, &ConfigError{Key: KeyReferences, Index: i, Field: "text", Err: fmt.Errorf("%w: library holds more than %d tokens", ErrTooLarge, lim.MaxLibraryTokens)}
		}
		L := n
		if s.MinTokens > 0 && s.MinTokens < n {
			L = s.MinTokens
		}
		if L < MinMatchTokens {
			return nil, cfgErr(KeyReferences, i, "text", "matches would be %d tokens long; at least %d are needed", L, MinMatchTokens)
		}
		ids := make([]int32, n)
		for k, t := range toks {
			id, ok := l.vocab[t]
			if !ok {
				id = int32(len(l.vocab))
				l.vocab[t] = id
			}
			ids[k] = id
		}
		maxDist := int(math.Floor(thr * float64(L)))
		for _, st := range windowStarts(n, L) {
			if len(l.windows) == lim.MaxWindows {
				return nil, &ConfigError{Key: KeyReferences, Index: i, Field: "min_tokens", Err: fmt.Errorf("%w: more than %d match windows (raise min_tokens)", ErrTooLarge, lim.MaxWindows)}
			}
			l.windows = append(l.windows, seq.Reference{ID: s.ID, Tokens: ids[st : st+L], MaxDist: maxDist})
			l.win = append(l.win, window{ref: i, start: st, end: st + L})
		}
		l.keep = max(l.keep, 2*(L+maxDist)+2)
		l.refs = append(l.refs, libRef{ReferenceSpec: s, threshold: thr, length: n, minTokens: L})
	}
	if len(l.windows) > 0 {
		set, err := seq.CompileReferences(l.windows)
		if err != nil {
			return nil, &ConfigError{Key: KeyReferences, Index: -1, Err: err}
		}
		l.set = set
	}
	return l, nil
}

// windowStarts returns where the windows of length L over n tokens start: every L/2 tokens,
// and one flush with the end, so any reproduced stretch of 1.5·L tokens contains a window.
func windowStarts(n, L int) []int {
	stride := max(1, L/2)
	var out []int
	for s := 0; s+L <= n; s += stride {
		out = append(out, s)
	}
	if last := n - L; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

// RepetitionConfig is the compare.repetition value.
type RepetitionConfig struct {
	Enabled bool `json:"enabled"`
	// MaxPeriod is the longest repeating unit looked for, in tokens (1..1024).
	MaxPeriod int `json:"max_period"`
	// MinCount is how many whole copies of the unit make a repetition (2..65536).
	MinCount int `json:"min_count"`
	// MinSpan is the fewest tokens a repetition must cover (1..65536).
	MinSpan int `json:"min_span"`
	// Action is "stop", "flag" or "" (verdict only).
	Action string `json:"action"`
}

// DefaultRepetition is the repetition policy in force when compare.repetition is absent: a
// unit of up to 64 tokens seen three times over at least 24 tokens stops the response.
func DefaultRepetition() RepetitionConfig {
	return RepetitionConfig{Enabled: true, MaxPeriod: 64, MinCount: 3, MinSpan: 24, Action: ActionStop}
}

// ParseRepetition reads a compare.repetition value; absent fields keep their defaults.
func ParseRepetition(data []byte) (RepetitionConfig, error) {
	c := DefaultRepetition()
	if err := decodeStrict(data, &c); err != nil {
		return c, &ConfigError{Key: KeyRepetition, Index: -1, Err: err}
	}
	switch {
	case c.MaxPeriod < 1 || c.MaxPeriod > 1024:
		return c, cfgErr(KeyRepetition, -1, "max_period", "%d is not in 1..1024", c.MaxPeriod)
	case c.MinCount < 2 || c.MinCount > 1<<16:
		return c, cfgErr(KeyRepetition, -1, "min_count", "%d is not in 2..65536", c.MinCount)
	case c.MinSpan < 1 || c.MinSpan > 1<<16:
		return c, cfgErr(KeyRepetition, -1, "min_span", "%d is not in 1..65536", c.MinSpan)
	case !validAction(c.Action):
		return c, cfgErr(KeyRepetition, -1, "action", "%q is not stop, flag or empty", c.Action)
	}
	return c, nil
}

// ConversationConfig is the compare.conversation value: cross-matching of a response against
// recent finished responses of the same conversation (Meta.Conversation).
type ConversationConfig struct {
	Enabled bool `json:"enabled"`
	// Threshold is the largest normalised edit distance of a match, in [0, 1).
	Threshold float64 `json:"threshold"`
	// MinTokens is the match length: how many consecutive tokens of an earlier response must
	// be reproduced (4..1024).
	MinTokens int `json:"min_tokens"`
	// MaxResponses is how many recent finished responses are kept per conversation (1..32).
	MaxResponses int `json:"max_responses"`
	// MaxTokens is how many leading tokens of each finished response are kept
	// (min_tokens..8192).
	MaxTokens int `json:"max_tokens"`
	// Action is "stop", "flag" or "" (verdict only).
	Action string `json:"action"`
}

// DefaultConversation is the policy in force when compare.conversation is absent.
func DefaultConversation() ConversationConfig {
	return ConversationConfig{Enabled: true, Threshold: 0.15, MinTokens: 24, MaxResponses: 4, MaxTokens: 1024, Action: ActionNone}
}

// ParseConversation reads a compare.conversation value; absent fields keep their defaults.
func ParseConversation(data []byte) (ConversationConfig, error) {
	c := DefaultConversation()
	if err := decodeStrict(data, &c); err != nil {
		return c, &ConfigError{Key: KeyConversation, Index: -1, Err: err}
	}
	switch {
	case !(c.Threshold >= 0 && c.Threshold < 1):
		return c, cfgErr(KeyConversation, -1, "threshold", "%v is not in [0, 1)", c.Threshold)
	case c.MinTokens < MinMatchTokens || c.MinTokens > 1024:
		return c, cfgErr(KeyConversation, -1, "min_tokens", "%d is not in %d..1024", c.MinTokens, MinMatchTokens)
	case c.MaxResponses < 1 || c.MaxResponses > 32:
		return c, cfgErr(KeyConversation, -1, "max_responses", "%d is not in 1..32", c.MaxResponses)
	case c.MaxTokens < c.MinTokens || c.MaxTokens > 8192:
		return c, cfgErr(KeyConversation, -1, "max_tokens", "%d is not in min_tokens..8192", c.MaxTokens)
	case !validAction(c.Action):
		return c, cfgErr(KeyConversation, -1, "action", "%q is not stop, flag or empty", c.Action)
	}
	return c, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields and trailing
// data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func validKind(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validAction(s string) bool { return s == ActionNone || s == ActionStop || s == ActionFlag }
