package rules_test

import (
	"fmt"

	"github.com/midstream/midstream/pkg/rules"
	"github.com/midstream/midstream/pkg/wire"
)

func Example() {
	set, err := rules.Parse([]byte(`{"props":[
		{"name":"pii_email","kind":"email"},
		{"name":"password","kind":"keyword","keywords":["password:"],"ignore_case":true},
		{"name":"final","kind":"final"}]}`))
	if err != nil {
		panic(err)
	}
	st := set.NewStream() // one per response
	var v rules.Valuation
	for i, text := range []string{"Write to jane.doe@exam", "ple.com; the Pass", "word: hunter2"} {
		c := wire.Chunk{Seq: uint64(i), Text: text, Final: i == 2}
		if v, err = st.Next(v, &c); err != nil {
			panic(err)
		}
		var names []string
		for _, p := range v.Indices(nil) {
			names = append(names, set.Name(p))
		}
		fmt.Printf("chunk %d: %v\n", i, names)
	}
	// Output:
	// chunk 0: []
	// chunk 1: [pii_email]
	// chunk 2: [password final]
}
