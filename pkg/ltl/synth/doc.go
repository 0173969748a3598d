// Package synth decides whether a system that controls some of a rule's propositions can
// keep the rule from ever being definitely violated, whatever the environment does with the
// others, and if so emits a strategy as a finite automaton. It solves the safety game on a
// compiled monitor's state graph by a backward attractor computation; when no strategy exists
// it returns the environment's winning moves and a play that forces the violation.
package synth
