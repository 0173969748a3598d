//go:build !race

package metalearn

const raceEnabled = false
