package sched

import (
	"math"
	"strconv"
	"time"
)

// Limits on configuration values; they catch unit mistakes (seconds given as nanoseconds) and
// bound memory.
const (
	MaxCapacity       = 1 << 24          // queued items
	MaxBudget         = 10 * time.Minute // per-item deadline budget (wire.MaxDeadline)
	MaxWeight         = 1e6              // tenant weight
	MaxNameLen        = 256              // bytes of a stream or tenant name
	defaultCapacity   = 1 << 17
	defaultPerResp    = 4096
	defaultMaxTenants = 1 << 16
	defaultMaxResp    = 1 << 20
)

// ClassConfig configures one priority class. Start from DefaultConfig and change fields: the
// zero value of a boolean is a real setting, not "unset".
type ClassConfig struct {
	// Limit is the class's token bucket: items of the class are released at most at this
	// rate. nil means unlimited.
	Limit *Rate `json:"limit,omitempty"`
	// Budget is the default per-item deadline, counted from submission, for items that carry
	// none and belong to responses opened without one. 0 means no deadline.
	Budget time.Duration `json:"budget,omitempty"`
	// DelayAfter is the wait above which a released item counts as delayed in Stats.
	DelayAfter time.Duration `json:"delay_after,omitempty"`
	// ShedAfter sheds the class's next item once it has waited longer than this. 0 never
	// sheds by wait.
	ShedAfter time.Duration `json:"shed_after,omitempty"`
	// ShedLate sheds an item instead of releasing it when its deadline can no longer be met
	// (now + estimated cost > deadline).
	ShedLate bool `json:"shed_late,omitempty"`
	// Protected classes are never shed, by depth or wait or deadline; when the scheduler is
	// full their new items get ErrQueueFull instead.
	Protected bool `json:"protected,omitempty"`
	// Guaranteed classes are counted by admission control; responses of other classes are
	// admitted as best effort without a test.
	Guaranteed bool `json:"guaranteed,omitempty"`
	// Cost is the initial estimate of one item's service time, before ObserveCost has been
	// called for the class. Must be positive.
	Cost time.Duration `json:"cost,omitempty"`
	// Period is the assumed inter-chunk gap of a new response until two of its chunks have
	// arrived (used by rate-monotonic ordering and admission). Must be positive.
	Period time.Duration `json:"period,omitempty"`
}

// TenantConfig configures one tenant.
type TenantConfig struct {
	// Limit is the tenant's own token bucket, shared by all its classes: the rate it is
	// guaranteed. Beyond it the tenant only gets spare capacity, shared among the tenants that
	// are over their own limit by Weight. nil means unlimited (always within its share).
	Limit *Rate `json:"limit,omitempty"`
	// Weight is the tenant's share of spare capacity; 0 means 1.
	Weight float64 `json:"weight,omitempty"`
}

// AdmissionConfig configures admission control of new responses.
type AdmissionConfig struct {
	// Enabled turns the schedulability test on; when off every response is admitted.
	Enabled bool `json:"enabled"`
	// Headroom scales the bound (0 < Headroom ≤ 1): 0.9 admits up to 90 % of what the test
	// allows, leaving room for estimation error. 0 means 1.
	Headroom float64 `json:"headroom,omitempty"`
	// NoDegrade rejects a response that fails at its class instead of trying lower classes.
	NoDegrade bool `json:"no_degrade,omitempty"`
	// MaxResponses bounds the open responses; beyond it new responses are rejected.
	MaxResponses int `json:"max_responses,omitempty"`
}

// Config is the whole scheduler configuration. Reconfigure applies a new one at run time.
type Config struct {
	Policy Policy `json:"policy"`
	// Capacity bounds the items held (queued plus shed and not yet handed back).
	Capacity int `json:"capacity,omitempty"`
	// ShedDepth is the queue depth above which items are shed, lowest class first, down to
	// ShedDepth. 0 means 7/8 of Capacity. Must not exceed Capacity.
	ShedDepth int `json:"shed_depth,omitempty"`
	// MaxPerResponse bounds one response's queue; 0 means 4096; values above Capacity are
	// reduced to it.
	MaxPerResponse int `json:"max_per_response,omitempty"`
	// MaxTenants bounds the tenant table.
	MaxTenants int                     `json:"max_tenants,omitempty"`
	Classes    [NumClasses]ClassConfig `json:"classes"`
	// DefaultTenant applies to tenants not listed in Tenants.
	DefaultTenant TenantConfig            `json:"default_tenant"`
	Tenants       map[string]TenantConfig `json:"tenants,omitempty"`
	Admission     AdmissionConfig         `json:"admission"`
	// Alpha is the EWMA weight of a new observation in the cost and period estimates
	// (0 < Alpha ≤ 1); 0 means 1/8.
	Alpha float64 `json:"alpha,omitempty"`
	// IdleTimeout closes a response with nothing queued after this long without a new item,
	// removing it from the admitted set. 0 means 30 s.
	IdleTimeout time.Duration `json:"idle_timeout,omitempty"`
}

// DefaultConfig returns the documented defaults: EDF; capacity 131072 with shedding above
// 7/8 of it; critical and high protected from shedding; normal shed after waiting 10 s, low
// after 2 s or when late; budgets 50 ms, 100 ms, 250 ms, 1 s; admission control off; no
// rate limits.
func DefaultConfig() Config {
	c := Config{
		Policy:         EDF,
		Capacity:       defaultCapacity,
		MaxPerResponse: defaultPerResp,
		MaxTenants:     defaultMaxTenants,
		Alpha:          0.125,
		IdleTimeout:    30 * time.Second,
		Admission:      AdmissionConfig{Headroom: 1, MaxResponses: defaultMaxResp},
	}
	budgets := [NumClasses]time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, time.Second}
	for i := range c.Classes {
		c.Classes[i] = ClassConfig{
			Budget:     budgets[i],
			DelayAfter: budgets[i] / 2,
			Cost:       100 * time.Microsecond,
			Period:     50 * time.Millisecond,
			Guaranteed: Class(i) != Low,
		}
	}
	c.Classes[Critical].Protected = true
	c.Classes[High].Protected = true
	c.Classes[Normal].ShedAfter = 10 * time.Second
	c.Classes[Low].ShedAfter = 2 * time.Second
	c.Classes[Low].ShedLate = true
	return c
}

// Validate checks c and fills the documented defaults for zero fields. Zero or negative
// rates, negative durations, budgets above MaxBudget and unknown policies are errors
// (*InvalidError).
func (c *Config) Validate() error {
	if c.Policy >= NumPolicies {
		return &InvalidError{Field: "policy", Reason: c.Policy.String() + " is not a policy"}
	}
	if c.Capacity == 0 {
		c.Capacity = defaultCapacity
	}
	if c.Capacity < 1 || c.Capacity > MaxCapacity {
		return &InvalidError{Field: "capacity", Reason: strconv.Itoa(c.Capacity) + " is outside 1.." + strconv.Itoa(MaxCapacity)}
	}
	if c.ShedDepth == 0 {
		c.ShedDepth = max(1, c.Capacity-c.Capacity/8)
	}
	if c.ShedDepth < 1 || c.ShedDepth > c.Capacity {
		return &InvalidError{Field: "shed_depth", Reason: strconv.Itoa(c.ShedDepth) + " is outside 1..capacity"}
	}
	if c.MaxPerResponse == 0 {
		c.MaxPerResponse = defaultPerResp
	}
	if c.MaxPerResponse < 1 {
		return &InvalidError{Field: "max_per_response", Reason: strconv.Itoa(c.MaxPerResponse) + " is below 1"}
	}
	c.MaxPerResponse = min(c.MaxPerResponse, c.Capacity)
	if c.MaxTenants == 0 {
		c.MaxTenants = defaultMaxTenants
	}
	if c.MaxTenants < 1 {
		return &InvalidError{Field: "max_tenants", Reason: "negative"}
	}
	if c.Alpha == 0 {
		c.Alpha = 0.125
	}
	if !(c.Alpha > 0 && c.Alpha <= 1) {
		return &InvalidError{Field: "alpha", Reason: "outside (0, 1]"}
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.IdleTimeout < 0 {
		return &InvalidError{Field: "idle_timeout", Reason: "negative"}
	}
	for i := range c.Classes {
		cc := &c.Classes[i]
		f := "classes." + Class(i).String()
		if cc.Limit != nil {
			if err := cc.Limit.validate(f + ".limit"); err != nil {
				return err
			}
		}
		for _, d := range []struct {
			name string
			v    time.Duration
		}{{"budget", cc.Budget}, {"delay_after", cc.DelayAfter}, {"shed_after", cc.ShedAfter}, {"cost", cc.Cost}, {"period", cc.Period}} {
			if d.v < 0 {
				return &InvalidError{Field: f + "." + d.name, Reason: "negative duration " + d.v.String()}
			}
		}
		if cc.Budget > MaxBudget {
			return &InvalidError{Field: f + ".budget", Reason: cc.Budget.String() + " is above the maximum of " + MaxBudget.String()}
		}
		if cc.Cost == 0 {
			cc.Cost = 100 * time.Microsecond
		}
		if cc.Period == 0 {
			cc.Period = 50 * time.Millisecond
		}
	}
	if err := c.DefaultTenant.validate("default_tenant"); err != nil {
		return err
	}
	if len(c.Tenants) > c.MaxTenants {
		return &InvalidError{Field: "tenants", Reason: "more entries than max_tenants"}
	}
	if c.Tenants != nil {
		m := make(map[string]TenantConfig, len(c.Tenants))
		for name, tc := range c.Tenants {
			if len(name) > MaxNameLen {
				return &InvalidError{Field: "tenants", Reason: "name longer than " + strconv.Itoa(MaxNameLen) + " bytes"}
			}
			if err := tc.validate("tenants." + strconv.Quote(name)); err != nil {
				return err
			}
			m[name] = tc
		}
		c.Tenants = m // a private copy: the caller may go on changing its map
	}
	a := &c.Admission
	if a.Headroom == 0 {
		a.Headroom = 1
	}
	if !(a.Headroom > 0 && a.Headroom <= 1) {
		return &InvalidError{Field: "admission.headroom", Reason: "outside (0, 1]"}
	}
	if a.MaxResponses == 0 {
		a.MaxResponses = defaultMaxResp
	}
	if a.MaxResponses < 1 {
		return &InvalidError{Field: "admission.max_responses", Reason: "negative"}
	}
	return nil
}

func (t *TenantConfig) validate(field string) error {
	if t.Limit != nil {
		if err := t.Limit.validate(field + ".limit"); err != nil {
			return err
		}
	}
	if t.Weight == 0 {
		t.Weight = 1
	}
	if math.IsNaN(t.Weight) || t.Weight <= 0 || t.Weight > MaxWeight {
		return &InvalidError{Field: field + ".weight", Reason: "outside (0, 1e6]"}
	}
	return nil
}

// Option configures a Scheduler beyond its Config.
type Option func(*options) error

type options struct {
	clock func() time.Time
}

// WithClock sets the time source (default time.Now). Tests inject a fake clock; the clock must
// not go backwards.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return &InvalidError{Field: "WithClock", Reason: "nil clock"}
		}
		o.clock = now
		return nil
	}
}
