package verifier

// Evidence is the Evidence of a verifier verdict.
type Evidence struct {
	Policy      string `json:"policy"`
	Formula     string `json:"formula"` // normalised
	Description string `json:"description,omitempty"`
	// Event is the index of the event (chunk observed for this response, from 0) at which the
	// verdict was reached; State the monitor state there (forecast state id).
	Event int `json:"event"`
	State int `json:"state"`
	// Final is true for a verdict decided by the end of the response (the LTLf value of the
	// complete trace), rather than because every continuation agreed.
	Final bool `json:"final,omitempty"`
	// Late is true when the response was first seen after chunk 0: the rules were monitored
	// from the first chunk seen.
	Late bool `json:"late,omitempty"`
	// Counterexample justifies a false verdict, Witness a true one.
	Counterexample *Explanation `json:"counterexample,omitempty"`
	Witness        *Explanation `json:"witness,omitempty"`
	// Truncated is true when the response was longer than the kept history, so no slice could
	// be computed.
	Truncated bool `json:"truncated,omitempty"`
	// Unexplained is true when the chunk decided more rules than SessionLimits.MaxExplainPerChunk
	// and this one got no slice.
	Unexplained bool `json:"unexplained,omitempty"`
	// Forecast is the learnt forecast behind a presumable verdict's confidence (absent until the
	// rule's model has been fitted).
	Forecast *ForecastEvidence `json:"forecast,omitempty"`
}

// Explanation is a counterexample or witness: the event at which the verdict became certain
// (At, its chunk AtSeq) and a minimal relevant slice of the trace.
type Explanation struct {
	At    int          `json:"at"`
	AtSeq uint64       `json:"at_seq"`
	Slice []SliceEvent `json:"slice"`
}

// SliceEvent is one event of a minimal relevant slice: the chunk and the values of the atoms
// the verdict depends on there (any other atom, or any other value at other chunks, could
// change without changing the verdict at At).
type SliceEvent struct {
	Event int             `json:"event"`
	Seq   uint64          `json:"seq"`
	Atoms map[string]bool `json:"atoms"`
}

// ForecastEvidence is the forecast behind a presumable verdict.
type ForecastEvidence struct {
	// PViolation is the estimated probability that a response of this rule in this monitor
	// state at this step ends with the rule violated (see docs/services/verifier.md).
	PViolation float64 `json:"p_violation"`
	// Known is false when the state at this step bucket never occurred in the training traces
	// (PViolation is then the base rate).
	Known bool `json:"known"`
	// Visits and Traces are the node's occurrences and distinct traces in the training data.
	Visits int `json:"visits"`
	Traces int `json:"traces"`
	// ModelTraces is the number of completed responses the model was fitted on; BaseRate the
	// smoothed share of them that ended violated.
	ModelTraces int     `json:"model_traces"`
	BaseRate    float64 `json:"base_rate"`
}
