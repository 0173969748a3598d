// Package attractor is midstream's attractor analyser: for every streaming response it turns
// the chunks' numeric signals (token log-probabilities, the entropy of the top alternatives,
// inter-chunk gaps, chunk lengths) into series, analyses them as they grow with
// pkg/dynamics' incremental analyser, and reports when a series' attractor class changes
// (debounced) and when a series falls into a limit cycle: the model stuck repeating. It runs
// on pkg/analysis; see docs/services/attractor.md.
package attractor
