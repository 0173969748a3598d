// Package analysis is the runtime every analyser service (compare, attractor, verifier) is
// built on: it consumes a service's partitions of WORK, keeps one Session per open response,
// hands it the chunks in order and exactly once in effect (idempotent by seq), publishes the
// verdicts and actions it emits with deduplication ids, records inflight latency and traces,
// and applies live configuration from the ms_config KV bucket. An analyser only says what to
// do with a chunk.
package analysis
