//go:build race

package metalearn

// raceEnabled: the race detector inflates allocations, so memory measurements skip.
const raceEnabled = true
