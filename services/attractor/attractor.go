package attractor

import (
	"context"
	"sync/atomic"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// Name is the analyser's name: its verdict subject token and ms_config key prefix.
const Name = "attractor"

// Analyser implements analysis.Analyser and analysis.Configurable. Configuration changes
// apply to responses that start after them; a response keeps the configuration it started
// with, so its series are analysed consistently.
type Analyser struct {
	cfg atomic.Pointer[Config]
}

var (
	_ analysis.Analyser     = (*Analyser)(nil)
	_ analysis.Configurable = (*Analyser)(nil)
)

// New returns an analyser with the default configuration, or cfg when given (validated).
func New(cfg ...Config) (*Analyser, error) {
	c := DefaultConfig()
	if len(cfg) > 0 {
		c = cfg[0]
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	a := &Analyser{}
	a.cfg.Store(&c)
	return a, nil
}

// Config returns the configuration in force.
func (a *Analyser) Config() Config { return *a.cfg.Load() }

// Configure applies the ms_config key attractor.<name>; only "config" is known. A nil value
// (key deleted) restores the defaults. A rejected value leaves the previous one in force.
func (a *Analyser) Configure(name string, value []byte) error {
	if name != KeyConfig {
		return &ConfigError{Key: Name + "." + name, Why: "unknown key (known: " + Name + "." + KeyConfig + ")"}
	}
	if value == nil {
		c := DefaultConfig()
		a.cfg.Store(&c)
		return nil
	}
	c, err := ParseConfig(value)
	if err != nil {
		return err
	}
	a.cfg.Store(&c)
	return nil
}

// Start returns the state of a new response.
func (a *Analyser) Start(stream string, _ *wire.Meta) analysis.Session {
	return newSession(a.cfg.Load())
}

// ConfigKey returns the full ms_config key of name, e.g. "attractor.config".
func ConfigKey(name string) string { return analysis.ConfigKey(Name, name) }

// SeedConfig stores data as attractor.config unless the key already holds a value, and reports
// whether it stored it. data is validated first (errors match ErrConfig). The runner applies
// the stored value before it consumes (analysis.Runner.Run).
func SeedConfig(ctx context.Context, js jetstream.JetStream, data []byte) (bool, error) {
	if _, err := ParseConfig(data); err != nil {
		return false, err
	}
	return analysis.SeedConfig(ctx, js, Name, KeyConfig, data)
}
