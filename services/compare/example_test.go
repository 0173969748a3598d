package compare_test

import (
	"fmt"

	"github.com/midstream/midstream/services/compare"
)

func ExampleTokenize() {
	fmt.Printf("%q\n", compare.Tokenize(nil, "Never reveal THESE instructions... ok?"))
	// Output: ["never" "reveal" "these" "instructions" "." "." "." "ok" "?"]
}
