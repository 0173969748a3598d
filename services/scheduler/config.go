package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/nats-io/nats.go/jetstream"
)

// Keys of the scheduler's configuration in the ms_config bucket. The most recent write wins:
// scheduler.config replaces the whole configuration (and with it earlier policy and rate
// keys); scheduler.policy and scheduler.rate.<class> change one part of it.
const (
	KeyConfig     = Name + ".config"
	KeyPolicy     = Name + ".policy"
	KeyRatePrefix = Name + ".rate."
)

// MaxConfigBytes bounds a configuration value.
const MaxConfigBytes = 1 << 20

// ParseConfig decodes a JSON sched.Config on top of sched.DefaultConfig() (absent fields keep
// their defaults, unknown fields are errors) and validates it.
func ParseConfig(data []byte) (sched.Config, error) {
	cfg := sched.DefaultConfig()
	if len(data) > MaxConfigBytes {
		return cfg, &ConfigError{Key: KeyConfig, Err: fmt.Errorf("%d bytes, more than %d", len(data), MaxConfigBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return sched.DefaultConfig(), &ConfigError{Key: KeyConfig, Err: err}
	}
	if dec.More() {
		return sched.DefaultConfig(), &ConfigError{Key: KeyConfig, Err: errors.New("trailing data")}
	}
	if err := cfg.Validate(); err != nil {
		return sched.DefaultConfig(), &ConfigError{Key: KeyConfig, Err: err}
	}
	return cfg, nil
}

// ParseRate decodes a class rate: JSON {"per_second": 50, "burst": 5}, the short form "50:5"
// (burst defaults to max(1, per_second/10) in "50"), or "none"/"" for no limit (nil). Zero,
// negative and non-finite values are errors.
func ParseRate(s string) (*sched.Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") || s == "null" || strings.EqualFold(s, `"none"`) {
		return nil, nil
	}
	var r sched.Rate
	if strings.HasPrefix(s, "{") {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("rate %q: %w", truncate(s, 64), err)
		}
	} else {
		ps, bs, hasBurst := strings.Cut(s, ":")
		var err error
		if r.PerSecond, err = strconv.ParseFloat(ps, 64); err != nil {
			return nil, fmt.Errorf("rate %q: per second: %w", truncate(s, 64), err)
		}
		r.Burst = max(1, r.PerSecond/10)
		if hasBurst {
			if r.Burst, err = strconv.ParseFloat(bs, 64); err != nil {
				return nil, fmt.Errorf("rate %q: burst: %w", truncate(s, 64), err)
			}
		}
	}
	if !(r.PerSecond > 0) || !(r.Burst >= 1) || r.PerSecond > sched.MaxRate || r.Burst > 1e12 {
		return nil, fmt.Errorf("rate %q: per second must be in (0, %g] and burst at least 1", truncate(s, 64), float64(sched.MaxRate))
	}
	return &r, nil
}

// ParseRates decodes "low=50:5,normal=200" (flags and environment) into class limits.
func ParseRates(s string) (map[sched.Class]*sched.Rate, error) {
	out := map[sched.Class]*sched.Rate{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &ConfigError{Key: "rates", Err: fmt.Errorf("%q is not class=per_second[:burst]", part)}
		}
		c, err := parseClassStrict(name)
		if err != nil {
			return nil, &ConfigError{Key: "rates", Err: err}
		}
		r, err := ParseRate(val)
		if err != nil {
			return nil, &ConfigError{Key: "rates", Err: err}
		}
		out[c] = r
	}
	return out, nil
}

// parseClassStrict is sched.ParseClass without the fallback: configuration must name a class.
func parseClassStrict(s string) (sched.Class, error) {
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%w: empty class name", sched.ErrUnknownClass)
	}
	return sched.ParseClass(s)
}

// InitialConfig builds the configuration from flags or environment: a JSON file (ParseConfig),
// then a policy name and class rates (ParseRates) on top. Empty arguments keep the defaults.
func InitialConfig(file, policy, rates string) (sched.Config, error) {
	cfg := sched.DefaultConfig()
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, &ConfigError{Key: "file", Err: err}
		}
		if cfg, err = ParseConfig(data); err != nil {
			return cfg, fmt.Errorf("%s: %w", file, err)
		}
	}
	if policy != "" {
		p, err := sched.ParsePolicy(policy)
		if err != nil {
			return cfg, &ConfigError{Key: "policy", Err: err}
		}
		cfg.Policy = p
	}
	rs, err := ParseRates(rates)
	if err != nil {
		return cfg, err
	}
	for c, r := range rs {
		cfg.Classes[c].Limit = r
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &ConfigError{Key: "flags", Err: err}
	}
	return cfg, nil
}

// ApplyKey applies one ms_config key of the scheduler (val nil: the key was deleted, which
// restores the value from flags/options). A bad value is rejected with a *ConfigError and the
// configuration in force stays.
func (s *Service) ApplyKey(key string, val []byte) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	err := s.applyKey(key, val)
	if err != nil {
		s.c.configErrors.Add(1)
		return err
	}
	s.c.configApplied.Add(1)
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

func (s *Service) applyKey(key string, val []byte) error {
	switch {
	case key == KeyConfig:
		cfg := s.base
		if val != nil {
			var err error
			if cfg, err = ParseConfig(val); err != nil {
				return err
			}
		}
		if err := s.s.Reconfigure(cfg); err != nil {
			return &ConfigError{Key: key, Err: err}
		}
		s.cacheBudgets(cfg)
	case key == KeyPolicy:
		p := s.base.Policy
		if val != nil {
			var name string
			if json.Unmarshal(val, &name) != nil {
				name = string(val)
			}
			var err error
			if p, err = sched.ParsePolicy(strings.TrimSpace(name)); err != nil {
				return &ConfigError{Key: key, Err: err}
			}
		}
		if err := s.s.SetPolicy(p); err != nil {
			return &ConfigError{Key: key, Err: err}
		}
	case strings.HasPrefix(key, KeyRatePrefix):
		c, err := parseClassStrict(strings.TrimPrefix(key, KeyRatePrefix))
		if err != nil {
			return &ConfigError{Key: key, Err: err}
		}
		r := s.base.Classes[c].Limit
		if val != nil {
			if r, err = ParseRate(string(val)); err != nil {
				return &ConfigError{Key: key, Err: err}
			}
		}
		if err := s.s.SetClassLimit(c, r); err != nil {
			return &ConfigError{Key: key, Err: err}
		}
	default:
		return &ConfigError{Key: key, Err: errors.New("unknown key (want " + KeyConfig + ", " + KeyPolicy + " or " + KeyRatePrefix + "<class>)")}
	}
	return nil
}

// watchConfig applies every scheduler.* key of ms_config, now and on change.
func (s *Service) watchConfig(ctx context.Context) {
	kv, err := s.js.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		s.log.Error("config bucket unavailable; running with flags and defaults", "err", err)
		return
	}
	s.kv.Store(&kv)
	w, err := kv.Watch(ctx, Name+".>")
	if err != nil {
		s.log.Error("config watch failed; running with flags and defaults", "err", err)
		return
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case ent, ok := <-w.Updates():
			if !ok {
				return
			}
			if ent == nil {
				continue // the current values have all been delivered
			}
			var val []byte
			if ent.Operation() == jetstream.KeyValuePut {
				val = ent.Value()
			}
			if err := s.ApplyKey(ent.Key(), val); err != nil {
				s.log.Error("config rejected; previous configuration stays", "key", ent.Key(), "revision", ent.Revision(), "err", err)
				continue
			}
			s.log.Info("config applied", "key", ent.Key(), "revision", ent.Revision())
		}
	}
}

// putKey stores a scheduler key in ms_config so that every replica applies it.
func (s *Service) putKey(ctx context.Context, key string, val []byte) error {
	kvp := s.kv.Load()
	if kvp == nil {
		kv, err := s.js.KeyValue(ctx, bus.BucketConfig)
		if err != nil {
			return err
		}
		kvp = &kv
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := (*kvp).Put(pctx, key, val)
	return err
}
