package rules

import (
	_ "embed"
	"sync"
)

// DefaultConfig is the rule set shipped with midstream (default.json in this package); see
// docs/rules.md for what each proposition means.
//
//go:embed default.json
var DefaultConfig []byte

var defaultSet = sync.OnceValue(func() *Set {
	s, err := Parse(DefaultConfig)
	if err != nil {
		panic("rules: the shipped default rule set does not compile: " + err.Error())
	}
	return s
})

// Default returns the compiled default rule set. It is shared; do not modify it.
func Default() *Set { return defaultSet() }
