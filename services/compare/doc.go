// Package compare is midstream's compare analyser: per response it keeps a normalised token
// sequence and matches it incrementally against a reference library (system prompts, known-bad
// answers) held in the ms_config KV bucket and against recent responses of the same
// conversation, and watches it for self-repetition. It publishes a verdict, and an action when
// the reference's policy says so, at the chunk where a match becomes certain. It runs on the
// pkg/analysis runtime; the algorithms are pkg/seq's.
package compare
