// Package analysistest runs an analyser on an embedded JetStream bus for tests: it starts a
// bustest environment and an analysis.Runner reading CHUNKS, publishes responses chunk by
// chunk with deduplication ids and receive times, waits until every chunk has been
// acknowledged, and collects the verdicts and actions the analyser published, per response.
package analysistest
