package synth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/midstream/midstream/pkg/ltl"
)

// BenchmarkSolve measures synthesis for a conjunction of n request/grant pairs
// G(req_i -> X grant_i): 2n atoms, 2^n monitor states.
func BenchmarkSolve(b *testing.B) {
	for _, n := range []int{1, 3, 5} {
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			var parts, ctrl []string
			for i := 0; i < n; i++ {
				parts = append(parts, fmt.Sprintf("G(req%d -> X grant%d)", i, i))
				ctrl = append(ctrl, fmt.Sprintf("grant%d", i))
			}
			c := ltl.MustCompile(strings.Join(parts, " & "))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := SolveCompiled(c, ctrl)
				if err != nil || !res.Realisable {
					b.Fatal(err)
				}
			}
		})
	}
}
