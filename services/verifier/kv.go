package verifier

import (
	"context"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigKey returns the full ms_config key of one of the verifier's keys, e.g. "verifier.policies".
func ConfigKey(name string) string { return analysis.ConfigKey(Name, name) }

// Seed stores data under verifier.<key> unless the key already holds a value, and reports
// whether it stored it. data is validated first (errors match ErrConfig): policies on their
// own (their propositions are checked when applied), props as a rule set. A deleted key counts
// as absent. The runner applies the stored keys before it consumes (analysis.Runner.Run);
// Configure accepts props and policies in either order.
func Seed(ctx context.Context, js jetstream.JetStream, key string, data []byte) (bool, error) {
	var err error
	switch key {
	case KeyPolicies:
		_, err = ParsePolicies(data, Limits{})
	case KeyProps:
		_, err = ParseProps(data, Limits{})
	default:
		err = &ConfigError{Key: key, Rule: -1, Err: ErrUnknownKey}
	}
	if err != nil {
		return false, err
	}
	return analysis.SeedConfig(ctx, js, Name, key, data)
}
