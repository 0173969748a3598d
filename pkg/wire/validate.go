package wire

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits on what a gateway may send. They bound memory per message and keep a misbehaving
// gateway from hurting others; they are deliberately generous for real LLM traffic.
const (
	MaxStreamIDLen  = 128       // bytes of a stream id
	MaxTokenLen     = 64        // bytes of an analyser name or other subject token
	MaxChunkBytes   = 256 << 10 // encoded chunk
	MaxTextBytes    = 64 << 10  // Chunk.Text
	MaxTokens       = 4096      // Chunk.Tokens
	MaxTokenText    = 1024      // bytes of one token's text
	MaxTopLogprobs  = 20        // alternatives per token
	MaxToolCalls    = 64        // tool-call deltas per chunk
	MaxToolArgBytes = 64 << 10  // bytes of arguments in one delta
	MaxNameLen      = 256       // tenant, model, provider, policy, tool name, ids, reasons
	MaxSeq          = 1 << 40   // far beyond any response; catches negative numbers cast to uint
	MaxDeadline     = 10 * 60e3 // milliseconds: ten minutes
	MaxMessageBytes = 1 << 20   // encoded verdict, action, feedback
	MaxEvidence     = 256 << 10 // Verdict.Evidence
	minLogprob      = -1e4      // log-probabilities below this are not produced by real models
)

// ValidateStreamID checks that id is usable as one NATS subject token: 1..128 bytes of
// [A-Za-z0-9_-]. Dots, wildcards, whitespace and anything else are refused because the stream
// id is the last token of every subject.
func ValidateStreamID(id string) error { return validToken("stream", id, MaxStreamIDLen) }

// ValidateToken checks that s (named field in errors) is a safe subject token.
func ValidateToken(field, s string) error { return validToken(field, s, MaxTokenLen) }

func validToken(field, s string, limit int) error {
	if s == "" {
		return &ValidationError{Field: field, Reason: "empty"}
	}
	if len(s) > limit {
		return &ValidationError{Field: field, Reason: "longer than " + strconv.Itoa(limit) + " bytes"}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			continue
		}
		return &ValidationError{Field: field, Reason: "byte " + strconv.Itoa(i) + " (" + strconv.QuoteRune(rune(c)) +
			") is not one of [A-Za-z0-9_-]"}
	}
	return nil
}

// ParsePriority maps a priority name to its class; "" is PriorityNormal.
func ParsePriority(s string) (Priority, error) {
	switch p := Priority(s); p {
	case PriorityCritical, PriorityHigh, PriorityNormal, PriorityLow:
		return p, nil
	case "":
		return PriorityNormal, nil
	}
	return "", &ValidationError{Field: "meta.priority", Reason: strconv.Quote(s) + " is not one of critical, high, normal, low"}
}

// Validate checks a chunk against the schema's limits. It returns a *ValidationError (or
// *SizeError) naming the first offending field.
func (c *Chunk) Validate() error {
	if err := ValidateStreamID(c.Stream); err != nil {
		return err
	}
	bad := func(field, reason string) error {
		return &ValidationError{Stream: c.Stream, Seq: c.Seq, Field: field, Reason: reason}
	}
	if c.Seq > MaxSeq {
		return bad("seq", "larger than "+strconv.FormatUint(MaxSeq, 10))
	}
	if c.Time.IsZero() {
		return bad("ts", "missing")
	}
	if y := c.Time.Year(); y < 2000 || y > 9999 {
		return bad("ts", "year "+strconv.Itoa(y)+" is out of range")
	}
	if len(c.Text) > MaxTextBytes {
		return &SizeError{What: "chunk text", Size: len(c.Text), Limit: MaxTextBytes}
	}
	if !utf8.ValidString(c.Text) {
		return bad("text", "not valid UTF-8")
	}
	if len(c.Tokens) > MaxTokens {
		return bad("tokens", strconv.Itoa(len(c.Tokens))+" tokens, limit "+strconv.Itoa(MaxTokens))
	}
	for i := range c.Tokens {
		// Field names are built only on failure: this loop runs for every token of every chunk.
		t := &c.Tokens[i]
		tok := func() string { return "tokens[" + strconv.Itoa(i) + "]" }
		if err := checkText(t.Text, MaxTokenText); err != "" {
			return bad(tok()+".text", err)
		}
		if err := checkLogprob(t.Logprob); err != "" {
			return bad(tok()+".logprob", err)
		}
		if len(t.Top) > MaxTopLogprobs {
			return bad(tok()+".top", strconv.Itoa(len(t.Top))+" alternatives, limit "+strconv.Itoa(MaxTopLogprobs))
		}
		for j := range t.Top {
			alt := func() string { return tok() + ".top[" + strconv.Itoa(j) + "]" }
			if err := checkText(t.Top[j].Text, MaxTokenText); err != "" {
				return bad(alt()+".text", err)
			}
			if err := checkLogprob(t.Top[j].Logprob); err != "" {
				return bad(alt()+".logprob", err)
			}
		}
	}
	if len(c.ToolCalls) > MaxToolCalls {
		return bad("tool_calls", strconv.Itoa(len(c.ToolCalls))+" deltas, limit "+strconv.Itoa(MaxToolCalls))
	}
	for i := range c.ToolCalls {
		d := &c.ToolCalls[i]
		f := "tool_calls[" + strconv.Itoa(i) + "]"
		if d.Index < 0 || d.Index >= MaxToolCalls {
			return bad(f+".index", "out of range 0.."+strconv.Itoa(MaxToolCalls-1))
		}
		if err := checkText(d.ID, MaxNameLen); err != "" {
			return bad(f+".id", err)
		}
		if err := checkText(d.Name, MaxNameLen); err != "" {
			return bad(f+".name", err)
		}
		if err := checkText(d.Arguments, MaxToolArgBytes); err != "" {
			return bad(f+".arguments", err)
		}
	}
	if c.Meta != nil {
		if c.Seq != 0 {
			return bad("meta", "only chunk 0 carries response metadata")
		}
		if err := c.Meta.validate(); err != nil {
			err.Stream, err.Seq = c.Stream, c.Seq
			return err
		}
	}
	if c.FinishReason != "" && !c.Final {
		return bad("finish_reason", "set on a chunk that is not final")
	}
	if err := checkText(c.FinishReason, MaxNameLen); err != "" {
		return bad("finish_reason", err)
	}
	return nil
}

func (m *Meta) validate() *ValidationError {
	for _, f := range []struct{ name, v string }{
		{"meta.tenant", m.Tenant}, {"meta.model", m.Model}, {"meta.provider", m.Provider},
		{"meta.policy", m.Policy}, {"meta.conversation", m.Conversation},
	} {
		if err := checkText(f.v, MaxNameLen); err != "" {
			return &ValidationError{Field: f.name, Reason: err}
		}
	}
	if _, err := ParsePriority(string(m.Priority)); err != nil {
		var ve *ValidationError
		errors.As(err, &ve) // ParsePriority fails only with a *ValidationError
		return ve
	}
	if m.DeadlineMS < 0 || m.DeadlineMS > MaxDeadline {
		return &ValidationError{Field: "meta.deadline_ms", Reason: strconv.FormatInt(m.DeadlineMS, 10) +
			" is outside 0.." + strconv.Itoa(MaxDeadline)}
	}
	return nil
}

// Validate checks a verdict's identifying fields and sizes.
func (v *Verdict) Validate() error {
	if err := ValidateStreamID(v.Stream); err != nil {
		return err
	}
	if err := ValidateToken("analyser", v.Analyser); err != nil {
		return err
	}
	bad := func(field, reason string) error {
		return &ValidationError{Stream: v.Stream, Seq: v.Seq, Field: field, Reason: reason}
	}
	for _, f := range []struct{ name, v string }{{"kind", v.Kind}, {"rule", v.Rule}, {"status", v.Status}, {"action", v.Action}} {
		if err := checkText(f.v, MaxNameLen); err != "" {
			return bad(f.name, err)
		}
	}
	if v.Kind == "" {
		return bad("kind", "missing")
	}
	if err := checkText(v.Reason, MaxTextBytes); err != "" {
		return bad("reason", err)
	}
	if !finite(v.Score) {
		return bad("score", "not a finite number")
	}
	if !(v.Confidence >= 0 && v.Confidence <= 1) {
		return bad("confidence", "outside 0..1")
	}
	if len(v.Evidence) > MaxEvidence {
		return &SizeError{What: "verdict evidence", Size: len(v.Evidence), Limit: MaxEvidence}
	}
	return nil
}

// Validate checks an action.
func (a *Action) Validate() error {
	if err := ValidateStreamID(a.Stream); err != nil {
		return err
	}
	bad := func(field, reason string) error {
		return &ValidationError{Stream: a.Stream, Seq: a.Seq, Field: field, Reason: reason}
	}
	switch a.Type {
	case ActionStop, ActionFlag:
	default:
		return bad("type", strconv.Quote(string(a.Type))+" is not one of stop, flag")
	}
	if err := checkText(a.Analyser, MaxNameLen); err != "" {
		return bad("analyser", err)
	}
	if err := checkText(a.Rule, MaxNameLen); err != "" {
		return bad("rule", err)
	}
	if err := checkText(a.Reason, MaxTextBytes); err != "" {
		return bad("reason", err)
	}
	return nil
}

// Validate checks a feedback message.
func (f *Feedback) Validate() error {
	if err := ValidateStreamID(f.Stream); err != nil {
		return err
	}
	if err := ValidateToken("analyser", f.Analyser); err != nil {
		return err
	}
	bad := func(field, reason string) error {
		return &ValidationError{Stream: f.Stream, Field: field, Reason: reason}
	}
	switch f.Label {
	case LabelTruePositive, LabelFalsePositive, LabelTrueNegative, LabelFalseNegative:
	default:
		return bad("label", strconv.Quote(string(f.Label))+" is not one of true_positive, false_positive, true_negative, false_negative")
	}
	for _, x := range []struct{ name, v string }{{"rule", f.Rule}, {"tenant", f.Tenant}, {"source", f.Source}} {
		if err := checkText(x.v, MaxNameLen); err != "" {
			return bad(x.name, err)
		}
	}
	return nil
}

func checkText(s string, limit int) string {
	if len(s) > limit {
		return strconv.Itoa(len(s)) + " bytes, limit " + strconv.Itoa(limit)
	}
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	return ""
}

func checkLogprob(v float64) string {
	switch {
	case !finite(v):
		return "not a finite number"
	case v > 0:
		return "positive (a log-probability is at most 0)"
	case v < minLogprob:
		return "below " + strconv.FormatFloat(minLogprob, 'g', -1, 64)
	}
	return ""
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Deadline returns the per-chunk analysis budget, or 0 when none was given.
func (m *Meta) Deadline() time.Duration { return time.Duration(m.DeadlineMS) * time.Millisecond }
