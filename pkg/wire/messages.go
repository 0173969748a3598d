package wire

import (
	"encoding/json"
	"time"
)

// Priority is a response's priority class. The zero value is the unset class, which services
// treat as PriorityNormal.
type Priority string

// Priority classes, highest first.
const (
	PriorityCritical Priority = "critical"
	PriorityHigh     Priority = "high"
	PriorityNormal   Priority = "normal"
	PriorityLow      Priority = "low"
)

// Chunk is one piece of an LLM response as the gateway saw it. Seq is 0-based and gap-free per
// response; chunk 0 carries the response metadata; the last chunk has Final set and says why
// the response ended.
type Chunk struct {
	Stream string    `json:"stream"`
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"ts"` // when the gateway received the chunk from the model
	Text   string    `json:"text,omitempty"`
	// Tokens optionally splits Text into the model's tokens with log-probabilities.
	Tokens []Token `json:"tokens,omitempty"`
	// ToolCalls are tool-call deltas in the OpenAI streaming style: pieces of calls, matched by Index.
	ToolCalls    []ToolCallDelta `json:"tool_calls,omitempty"`
	Meta         *Meta           `json:"meta,omitempty"` // seq 0 only
	Final        bool            `json:"final,omitempty"`
	FinishReason string          `json:"finish_reason,omitempty"` // with Final: stop, length, tool_calls, content_filter, cancelled, error
}

// Token is one model token with its log-probability and optionally the top alternatives.
type Token struct {
	Text    string       `json:"text"`
	Logprob float64      `json:"logprob"`
	Top     []TopLogprob `json:"top,omitempty"`
}

// TopLogprob is one alternative the model considered at a token position.
type TopLogprob struct {
	Text    string  `json:"text"`
	Logprob float64 `json:"logprob"`
}

// ToolCallDelta is a fragment of a tool call. The first fragment of a call carries its ID and
// Name; later fragments append to Arguments.
type ToolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// Meta describes a response; it travels on chunk 0.
type Meta struct {
	Tenant       string   `json:"tenant,omitempty"`
	Model        string   `json:"model,omitempty"`
	Provider     string   `json:"provider,omitempty"`
	Priority     Priority `json:"priority,omitempty"`
	DeadlineMS   int64    `json:"deadline_ms,omitempty"` // analysis latency budget per chunk, milliseconds
	Policy       string   `json:"policy,omitempty"`      // the verifier/compare policy name to apply
	Conversation string   `json:"conversation,omitempty"`
}

// Verdict is an analyser's finding on a response, published to ms.verdict.<analyser>.<stream>.
type Verdict struct {
	Stream   string    `json:"stream"`
	Analyser string    `json:"analyser"` // compare, attractor, verifier, scheduler
	Seq      uint64    `json:"seq"`      // the chunk at which the verdict was reached
	Time     time.Time `json:"ts"`
	// Kind names what was found, per analyser: compare "match" or "repetition"; attractor
	// "classification" or "loop"; verifier "rule"; scheduler "shed".
	Kind string `json:"kind"`
	Rule string `json:"rule,omitempty"` // rule, reference or policy id the verdict is about
	// Status is the verdict's value: for verifier rules "true", "false", "presumably_true",
	// "presumably_false"; for the others a short word such as "detected" or "shed".
	Status     string  `json:"status"`
	Score      float64 `json:"score,omitempty"`      // a distance, exponent or probability, per Kind
	Confidence float64 `json:"confidence,omitempty"` // 0..1
	Action     string  `json:"action,omitempty"`     // the action requested, if any
	Reason     string  `json:"reason,omitempty"`
	// Evidence is analyser-specific detail (matched span, counterexample, exponent, period).
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

// ActionType is what a gateway is asked to do with a response.
type ActionType string

// Action types.
const (
	ActionStop ActionType = "stop" // stop generating and cut the stream
	ActionFlag ActionType = "flag" // let it run, but mark it
)

// Action asks the gateway that owns Stream to act on it; published to ms.action.<stream>.
type Action struct {
	Stream   string     `json:"stream"`
	Type     ActionType `json:"type"`
	Seq      uint64     `json:"seq"` // the chunk that triggered the action
	Analyser string     `json:"analyser"`
	Rule     string     `json:"rule,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	Time     time.Time  `json:"ts"`
}

// Label is a feedback judgement of a verdict.
type Label string

// Feedback labels.
const (
	LabelTruePositive  Label = "true_positive"
	LabelFalsePositive Label = "false_positive"
	LabelTrueNegative  Label = "true_negative"
	LabelFalseNegative Label = "false_negative"
)

// Feedback is a human's or system's judgement of an analyser's verdict on a response;
// published to ms.feedback.<stream>.
type Feedback struct {
	Stream   string    `json:"stream"`
	Analyser string    `json:"analyser"`
	Rule     string    `json:"rule,omitempty"`
	Label    Label     `json:"label"`
	Tenant   string    `json:"tenant,omitempty"`
	Source   string    `json:"source,omitempty"` // who labelled it
	Time     time.Time `json:"ts"`
}

// DeadLetter records a message a service could not accept: the original bytes and the reason,
// so nothing is lost. Published to ms.dlq.<source>.
type DeadLetter struct {
	Source  string    `json:"source"`
	Subject string    `json:"subject,omitempty"`
	Stream  string    `json:"stream,omitempty"`
	Reason  string    `json:"reason"`
	Data    []byte    `json:"data"` // base64 in JSON
	Time    time.Time `json:"ts"`
}
