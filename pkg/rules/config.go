package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Limits on a rule-set document. They bound compile time and per-response memory.
const (
	MaxConfigBytes    = 1 << 20   // encoded document
	MaxProps          = 256       // propositions per set
	MaxNameLen        = 64        // bytes of a proposition name
	MaxPatternLen     = 4096      // bytes of a regex pattern
	MaxRegexWindow    = 4096      // largest max_len of a regex
	DefaultRegexMax   = 128       // max_len of a regex when the document does not say
	MaxKeywords       = 10000     // keywords over the whole set
	MaxKeywordLen     = 1024      // bytes of one keyword
	MaxKeywordBytes   = 256 << 10 // bytes of all keywords
	MaxFinishReasons  = 16        // values of one finish proposition
	MaxToolCallsTrack = 128       // tool calls per response whose state is kept
)

// Kind names a proposition's detector.
type Kind string

// Proposition kinds. The documentation in docs/rules.md gives each one's exact boundary
// semantics.
const (
	KindRegex           Kind = "regex"             // a regular expression matched on the response text
	KindKeyword         Kind = "keyword"           // any of a list of literal strings (Aho–Corasick)
	KindEmail           Kind = "email"             // an e-mail address
	KindPhone           Kind = "phone"             // a phone number (10–15 digits)
	KindCard            Kind = "card"              // a payment card number (13–19 digits, Luhn)
	KindToolCallStart   Kind = "tool_call_start"   // a tool call with a new index began
	KindToolCallEnd     Kind = "tool_call_end"     // a tool call ended
	KindToolArgsInvalid Kind = "tool_args_invalid" // a tool call's arguments are not valid JSON
	KindJSONPrefix      Kind = "json_prefix"       // the text so far is a prefix of valid JSON
	KindJSONComplete    Kind = "json_complete"     // the text so far is a complete JSON text
	KindFinal           Kind = "final"             // the chunk is the last one
	KindFinish          Kind = "finish"            // the last chunk's finish reason is one of Values
	KindSignal          Kind = "signal"            // a numeric comparison on a per-chunk signal
)

// Signal names a per-chunk number that a KindSignal proposition compares.
type Signal string

// Per-chunk signals. A signal that a chunk does not carry (no tokens, no alternatives, the
// first chunk's gap) makes every comparison on it false.
const (
	SignalMinLogprob  Signal = "min_logprob"  // smallest token log-probability
	SignalMeanLogprob Signal = "mean_logprob" // mean token log-probability
	SignalEntropy     Signal = "entropy"      // largest per-token entropy of the top alternatives, nats
	SignalMeanEntropy Signal = "mean_entropy" // mean per-token entropy of the top alternatives, nats
	SignalGapMS       Signal = "gap_ms"       // milliseconds since the previous chunk's timestamp
	SignalChunkLen    Signal = "chunk_len"    // bytes of text
	SignalTokens      Signal = "tokens"       // number of tokens
	SignalSeq         Signal = "seq"          // the chunk's sequence number
)

// Config is a rule-set document: the propositions to compute on every chunk.
type Config struct {
	// Version is the document format; 1 (or 0, meaning 1).
	Version int          `json:"version,omitempty"`
	Props   []PropConfig `json:"props"`
}

// PropConfig declares one atomic proposition. Name is how temporal-logic formulas refer to
// it; Kind selects the detector and which of the other fields apply.
type PropConfig struct {
	Name        string `json:"name"`
	Kind        Kind   `json:"kind"`
	Description string `json:"description,omitempty"`
	// Pattern is a Go (RE2) regular expression for KindRegex. Anchors (^ $ \A \z) are
	// refused: a stream has no line or text ends until it finishes.
	Pattern string `json:"pattern,omitempty"`
	// MaxLen is, for KindRegex, the longest match in bytes that is guaranteed to be found
	// across chunk boundaries (1..MaxRegexWindow, default DefaultRegexMax).
	MaxLen int `json:"max_len,omitempty"`
	// Keywords are the literal strings of KindKeyword.
	Keywords []string `json:"keywords,omitempty"`
	// IgnoreCase makes a keyword match fold ASCII letters.
	IgnoreCase bool `json:"ignore_case,omitempty"`
	// Signal, Op and Value define KindSignal: Signal Op Value, Op one of < <= > >= == !=.
	Signal Signal   `json:"signal,omitempty"`
	Op     string   `json:"op,omitempty"`
	Value  *float64 `json:"value,omitempty"`
	// Values are the finish reasons of KindFinish.
	Values []string `json:"values,omitempty"`
}

// Parse decodes and compiles a rule-set document. Unknown fields, trailing data and documents
// over MaxConfigBytes are refused.
func Parse(data []byte) (*Set, error) {
	cfg, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return Compile(cfg)
}

// Decode decodes a rule-set document without compiling it.
func Decode(data []byte) (Config, error) {
	var cfg Config
	if len(data) > MaxConfigBytes {
		return cfg, &ConfigError{Index: -1, Err: fmt.Errorf("%w: document is %d bytes, limit %d", ErrTooLarge, len(data), MaxConfigBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, &ConfigError{Index: -1, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return cfg, &ConfigError{Index: -1, Err: fmt.Errorf("%w: data after the document", ErrSyntax)}
	}
	return cfg, nil
}

func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
			continue
		}
		if i > 0 && (c >= '0' && c <= '9' || c == '.') {
			continue
		}
		return false
	}
	// Spot's operator letters and constants cannot be bare atoms of a formula.
	switch s {
	case "X", "F", "G", "U", "R", "V", "W", "M", "N", "true", "false", "xor":
		return false
	}
	return true
}
