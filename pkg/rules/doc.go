// Package rules turns the chunks of a streaming LLM response into valuations of atomic
// propositions for temporal-logic monitors: regex and keyword matchers that see matches split
// across chunk boundaries, PII detectors (e-mail, phone, payment card with Luhn), tool-call
// start/end and argument validity, incremental JSON validity, the final chunk, and numeric
// comparisons on per-chunk signals. A rule set is a declarative JSON document compiled once into
// a Set that is shared across responses; each response gets its own bounded-memory Stream.
package rules
