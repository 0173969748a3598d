// Package seq compares sequences exactly and fast: dynamic time warping on numeric series (with
// Sakoe–Chiba band, lower bounds and early abandoning for nearest-neighbour search), LCS and edit
// distance on token sequences (bit-parallel), streaming subsequence matching (SPRING for numbers,
// Myers-style approximate matching for tokens), self-repetition detection and a content-keyed
// result cache. It has no I/O beyond the UCR .ts reader and no NATS dependency; services build
// on it.
package seq
