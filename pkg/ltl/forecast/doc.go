// Package forecast estimates where an undecided temporal-logic monitor is heading: from past
// traces of the same rule (the monitor states a response went through, and whether the rule
// was violated when it ended) it fits an absorbing Markov chain over monitor states and
// reports, for the current state, the probability that the response ends in violation,
// with the evidence behind the number and calibration measures (Brier score, reliability).
package forecast
