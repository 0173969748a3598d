package verifier

import (
	_ "embed"
	"encoding/json"

	"github.com/midstream/midstream/pkg/rules"
)

// DemoPolicies is the policies document the all-in-one seeds when verifier.policies is absent
// (default_policies.json): e-mail, card and secret leaks stop the response; a tool call that
// is interrupted by text, or does not complete with valid JSON arguments, is flagged. It
// needs the propositions of DemoProps.
//
//go:embed default_policies.json
var DemoPolicies []byte

// DemoProps returns the proposition set the all-in-one seeds when verifier.props is absent:
// the default set of pkg/rules plus "text", true at every chunk with visible (non-whitespace)
// text.
func DemoProps() []byte {
	cfg, err := rules.Decode(rules.DefaultConfig)
	if err != nil {
		panic("verifier: the default rule set does not decode: " + err.Error())
	}
	cfg.Props = append(cfg.Props, rules.PropConfig{Name: "text", Kind: rules.KindRegex, Pattern: `[^ \t\r\n]`, MaxLen: 1,
		Description: "the chunk has visible (non-whitespace) text"})
	b, err := json.Marshal(cfg)
	if err != nil {
		panic("verifier: " + err.Error())
	}
	return b
}
