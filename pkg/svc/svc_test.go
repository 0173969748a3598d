package svc

import (
	"slices"
	"testing"
)

func TestParsePartitions(t *testing.T) {
	got, err := ParsePartitions("0-3, 8,2", 16)
	if err != nil || !slices.Equal(got, []int{0, 1, 2, 3, 8}) {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := ParsePartitions("", 16); got != nil || err != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"16", "-1", "3-1", "a", "1-x", "0-16"} {
		if _, err := ParsePartitions(bad, 16); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
