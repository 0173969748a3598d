package verifier

import (
	"context"
	"errors"
	"fmt"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigKey returns the full ms_config key of one of the verifier's keys, e.g. "verifier.policies".
func ConfigKey(name string) string { return Name + "." + name }

// Seed stores data under verifier.<key> unless the key already holds a value, and reports
// whether it stored it. data is validated first (errors match ErrConfig): policies on their
// own (their propositions are checked when applied), props as a rule set. A deleted key counts
// as absent.
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
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		return false, fmt.Errorf("verifier: config bucket: %w", err)
	}
	if _, err := kv.Create(ctx, ConfigKey(key), data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("verifier: seed %s: %w", ConfigKey(key), err)
	}
	return true, nil
}

// LoadConfig applies the verifier's current ms_config values to a before the runner starts, so
// that the first responses already run under them (the runner's watch then keeps a up to
// date). props is applied before policies, whose formulas name its propositions. Rejected
// values are returned joined; what was in force stays for them.
func LoadConfig(ctx context.Context, js jetstream.JetStream, a *Analyser) error {
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		return fmt.Errorf("verifier: config bucket: %w", err)
	}
	var errs []error
	for _, k := range []string{KeyProps, KeyPolicies} {
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
