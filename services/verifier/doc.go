// Package verifier is midstream's rule analyser: for every streaming response it computes the
// atomic propositions of each chunk once (pkg/rules) and steps an LTLf monitor (pkg/ltl) per
// rule of the response's policy, publishing a verdict the moment a rule's verdict changes, with
// a counterexample or witness, an action when a violation is certain, and a learned forecast
// (pkg/ltl/forecast) of where an undecided rule is heading. See docs/services/verifier.md.
package verifier
