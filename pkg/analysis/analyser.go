package analysis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/midstream/midstream/pkg/wire"
)

// Analyser is one kind of analysis. Start is called from many partitions at once and must be
// safe for concurrent use; each Session it returns is used by one goroutine at a time.
type Analyser interface {
	// Start returns the state for a new response. meta is chunk 0's metadata, or nil when the
	// response was first seen after chunk 0 (its analysis then starts from what it sees).
	Start(stream string, meta *wire.Meta) Session
}

// Configurable analysers receive live configuration: every key "<analyser>.<name>" of the
// ms_config bucket: the current values before the runner consumes its first chunk (each key
// once, deleted keys skipped), then every change (value nil when deleted). Values are seeded
// with SeedConfig. Configure runs concurrently with sessions; an analyser typically swaps an atomic pointer to an immutable
// configuration. An error is logged and counted, and the previous configuration stays in force.
type Configurable interface {
	Configure(name string, value []byte) error
}

// Session is an analyser's state for one response.
type Session interface {
	// Observe analyses chunk c. Seqs only increase, but may skip numbers: the scheduler sheds
	// chunks under overload (and says so in its own verdicts). Findings go to e.
	Observe(ctx context.Context, c *wire.Chunk, e *Emitter) error
	// End is called at most once: after the final chunk, or when the response went idle or
	// was evicted; it may emit last findings. A session still open when its replica shuts
	// down is discarded without End: another replica takes the response over.
	End(ctx context.Context, reason EndReason, e *Emitter)
}

// EndReason says why a session ended.
type EndReason string

// End reasons.
const (
	EndFinal   EndReason = "final"   // the final chunk was observed
	EndIdle    EndReason = "idle"    // no chunk for the idle timeout
	EndEvicted EndReason = "evicted" // too many open sessions on this replica
)

// Emitter collects a session's findings for one call; the runtime publishes them after the
// call returns and before the chunk is acknowledged.
type Emitter struct {
	analyser string
	stream   string
	seq      uint64
	now      time.Time
	verdicts []wire.Verdict
	actions  []wire.Action
}

// Verdict emits v. Stream, Analyser and Time are filled in; Seq defaults to the chunk being
// observed (set it to point at an earlier chunk).
func (e *Emitter) Verdict(v wire.Verdict) {
	v.Stream, v.Analyser = e.stream, e.analyser
	if v.Seq == 0 {
		v.Seq = e.seq
	}
	if v.Time.IsZero() {
		v.Time = e.now
	}
	e.verdicts = append(e.verdicts, v)
}

// Action asks the gateway to stop or flag the response.
func (e *Emitter) Action(typ wire.ActionType, rule, reason string) {
	e.actions = append(e.actions, wire.Action{
		Stream: e.stream, Type: typ, Seq: e.seq, Analyser: e.analyser, Rule: rule, Reason: reason, Time: e.now,
	})
}

// Evidence marshals v for Verdict.Evidence; a value that cannot be marshalled yields nil.
func Evidence(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func (e *Emitter) reset(stream string, seq uint64, now time.Time) {
	e.stream, e.seq, e.now = stream, seq, now
	e.verdicts, e.actions = e.verdicts[:0], e.actions[:0]
}
