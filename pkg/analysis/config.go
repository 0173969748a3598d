package analysis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigKey returns the ms_config key of an analyser's key name: "<analyser>.<name>".
func ConfigKey(analyser, name string) string { return analyser + "." + name }

// SeedConfig stores data under "<analyser>.<name>" in the ms_config bucket unless the key
// already holds a value, and reports whether it stored it. A deleted key counts as absent, so
// a value deleted on purpose is seeded again at the next start. SeedConfig does not validate
// data: callers check it first, since only the analyser knows its format.
func SeedConfig(ctx context.Context, js jetstream.JetStream, analyser, name string, data []byte) (bool, error) {
	key := ConfigKey(analyser, name)
	kv, err := js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		return false, fmt.Errorf("analysis: config bucket: %w", err)
	}
	if _, err := kv.Create(ctx, key, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("analysis: seed %s: %w", key, err)
	}
	return true, nil
}

// loadConfig applies the current value of every "<name>.*" key to conf synchronously and
// returns the watcher that delivers later changes (nil if the bucket or the watch is
// unavailable: the analyser then runs with what it has). The initial values are consumed here,
// up to the watcher's end-of-initial-values marker, so watchConfig never applies them a
// second time.
func (r *Runner) loadConfig(ctx context.Context, conf Configurable) jetstream.KeyWatcher {
	kv, err := r.js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		r.log.Error("config bucket unavailable; running with defaults", "err", err)
		return nil
	}
	// Without IncludeHistory the watcher delivers the latest entry of each key, then nil.
	w, err := kv.Watch(ctx, r.cfg.Name+".>")
	if err != nil {
		r.log.Error("config watch failed; running with defaults", "err", err)
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			_ = w.Stop()
			return nil
		case ent, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if ent == nil {
				return w
			}
			if ent.Operation() != jetstream.KeyValuePut {
				continue // a deleted key: the analyser starts with its defaults anyway
			}
			r.apply(ctx, conf, ent)
		}
	}
}

// watchConfig applies the changes w delivers until ctx ends, then stops w.
func (r *Runner) watchConfig(ctx context.Context, conf Configurable, w jetstream.KeyWatcher) {
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case ent, ok := <-w.Updates():
			if !ok {
				return
			}
			if ent != nil {
				r.apply(ctx, conf, ent)
			}
		}
	}
}

// apply hands one entry to conf (a deletion as a nil value); a rejected value is logged and
// counted and the previous configuration stays.
func (r *Runner) apply(ctx context.Context, conf Configurable, ent jetstream.KeyValueEntry) {
	name := strings.TrimPrefix(ent.Key(), r.cfg.Name+".")
	var val []byte
	if ent.Operation() == jetstream.KeyValuePut {
		val = ent.Value()
	}
	if err := conf.Configure(name, val); err != nil {
		r.m.configErrors.Add(ctx, 1, r.m.attrs)
		r.log.Error("config rejected; previous configuration stays", "key", ent.Key(), "revision", ent.Revision(), "err", err)
		return
	}
	r.log.Info("config applied", "key", ent.Key(), "revision", ent.Revision())
}
