package compare

import (
	"context"
	"errors"
	"fmt"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigKey returns the full ms_config key of one of compare's keys, e.g. "compare.references".
func ConfigKey(name string) string { return Name + "." + name }

// SeedReferences stores data as compare.references unless the key already holds a value; it
// reports whether it stored it. data is validated first (errors match ErrConfig). A deleted
// key counts as absent, so a library deleted on purpose is seeded again at the next start.
func SeedReferences(ctx context.Context, js jetstream.JetStream, data []byte) (bool, error) {
	if _, err := ParseReferences(data, Limits{}); err != nil {
		return false, err
	}
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		return false, fmt.Errorf("compare: config bucket: %w", err)
	}
	if _, err := kv.Create(ctx, ConfigKey(KeyReferences), data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("compare: seed %s: %w", ConfigKey(KeyReferences), err)
	}
	return true, nil
}

// LoadConfig applies compare's current ms_config values to a before the runner starts, so the
// first responses already see the library (the runner's watch then keeps a up to date).
// Values that are rejected are returned joined; the defaults stay in force for them.
func LoadConfig(ctx context.Context, js jetstream.JetStream, a *Analyser) error {
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		return fmt.Errorf("compare: config bucket: %w", err)
	}
	var errs []error
	for _, k := range []string{KeyReferences, KeyRepetition, KeyConversation} {
		e, err := kv.Get(ctx, ConfigKey(k))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := a.Configure(k, e.Value()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
