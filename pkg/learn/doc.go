// Package learn is midstream's multi-level learning library: it turns per-response observations
// and feedback labels (level 0) into per-tenant/model baselines and mined violation patterns
// (level 1), proposes analyser configuration changes that move measured rates toward targets
// (level 2), and adapts how those proposals are made (level 3 and up, to a depth limit).
//
// Every proposal is a Modification that must pass per-parameter bounds and temporal-logic rules
// over the change history (checked with pkg/ltl) before it is applied; shadow evaluation,
// post-application watching with rollback, and a replayable audit trail keep changes safe and
// reproducible. The package does no I/O: the metalearn service feeds it and writes the accepted
// changes to the configuration store.
package learn
