// Package ltl parses linear temporal logic formulas in Spot's text syntax (plus step- and
// time-bounded F, G and U), gives them finite-trace semantics (LTLf) and compiles each formula
// into an online monitor that decides a rule the moment every possible continuation of the
// stream agrees, with four verdicts (true, false, presumably true, presumably false).
//
// Monitors work by formula progression over a hash-consed table of residual formulas whose
// transitions are memoised, so that a steady-state update is one table lookup with no
// allocation. The compiled automaton (states, transitions, end-of-trace acceptance, decided
// verdicts) is exported for forecasting and controller synthesis. See docs/ltl.md.
package ltl
