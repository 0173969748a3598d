package compare

import (
	"context"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigKey returns the full ms_config key of one of compare's keys, e.g. "compare.references".
func ConfigKey(name string) string { return analysis.ConfigKey(Name, name) }

// SeedReferences stores data as compare.references unless the key already holds a value; it
// reports whether it stored it. data is validated first (errors match ErrConfig). A deleted
// key counts as absent, so a library deleted on purpose is seeded again at the next start.
// The runner applies the stored keys before it consumes (analysis.Runner.Run), so the first
// responses already see the library.
func SeedReferences(ctx context.Context, js jetstream.JetStream, data []byte) (bool, error) {
	if _, err := ParseReferences(data, Limits{}); err != nil {
		return false, err
	}
	return analysis.SeedConfig(ctx, js, Name, KeyReferences, data)
}
