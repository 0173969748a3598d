package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/midstream/midstream/pkg/sched"
	"github.com/nats-io/nats.go/micro"
)

// Micro endpoint subjects (group "scheduler" of the "scheduler" micro service).
const (
	SubjectStats   = Name + ".stats"
	SubjectSetRate = Name + ".set-rate"
)

// Error codes of the micro endpoints.
const (
	CodeBadRequest = "400"
	CodeInternal   = "500"
)

// WaitSummary is a class's wait-time summary in milliseconds (quantiles ±6.25 %).
type WaitSummary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// ClassStats is one class's statistics as the stats endpoint reports them.
type ClassStats struct {
	Class          string            `json:"class"`
	Depth          int               `json:"depth"`
	Submitted      uint64            `json:"submitted"`
	Released       uint64            `json:"released"`
	Delayed        uint64            `json:"delayed"`
	DeadlineMisses uint64            `json:"deadline_misses"`
	Shed           map[string]uint64 `json:"shed"` // by reason, scheduler's and service's
	ShedTotal      uint64            `json:"shed_total"`
	// Forced counts chunk 0 or final chunks forwarded to WORK instead of being shed.
	Forced      uint64      `json:"forced"`
	Wait        WaitSummary `json:"wait"`
	Opened      uint64      `json:"opened"`
	Admitted    uint64      `json:"admitted"`
	DegradedIn  uint64      `json:"degraded_in"`
	DegradedOut uint64      `json:"degraded_out"`
	Rejected    uint64      `json:"rejected"`
	Utilization float64     `json:"utilization"`
	CostMS      float64     `json:"cost_ms"`
	BudgetMS    float64     `json:"budget_ms"`
	Limit       *sched.Rate `json:"limit,omitempty"`
	Tokens      float64     `json:"tokens,omitempty"`
}

// ServiceCounters are the service's own counters.
type ServiceCounters struct {
	Acked          uint64            `json:"acked"`          // CHUNKS messages acknowledged after their record was stored
	Duplicates     uint64            `json:"duplicates"`     // redeliveries recognised by seq
	Invalid        uint64            `json:"invalid"`        // dead-lettered: no usable stream id or seq
	QueueFull      uint64            `json:"queue_full"`     // submissions refused for room
	BadInput       map[string]uint64 `json:"bad_input"`      // metadata defects, by kind
	Recovered      uint64            `json:"recovered_meta"` // responses met mid-way whose chunk 0 was re-read
	PublishRetries uint64            `json:"publish_retries"`
	ConfigApplied  uint64            `json:"config_applied"`
	ConfigErrors   uint64            `json:"config_errors"`
	CostProbes     uint64            `json:"cost_probes"` // analyser cost estimates fed back
	Responses      int               `json:"responses"`   // remembered by the service
}

// Stats is the stats endpoint's answer.
type Stats struct {
	Time      time.Time       `json:"ts"`
	Policy    string          `json:"policy"`
	Depth     int             `json:"depth"`
	Pending   int             `json:"pending"`
	Capacity  int             `json:"capacity"`
	Responses int             `json:"responses"`
	Tenants   int             `json:"tenants"`
	Classes   []ClassStats    `json:"classes"` // critical, high, normal, low
	Service   ServiceCounters `json:"service"`
}

// SetRateRequest is the set-rate endpoint's request: a class's token bucket, or Unlimited to
// remove it.
type SetRateRequest struct {
	Class     string  `json:"class"`
	PerSecond float64 `json:"per_second,omitempty"`
	Burst     float64 `json:"burst,omitempty"`
	Unlimited bool    `json:"unlimited,omitempty"`
}

// SetRateResponse says what is in force and whether it was stored in ms_config (so that every
// replica, and this one after a restart, applies it).
type SetRateResponse struct {
	Class     string      `json:"class"`
	Limit     *sched.Rate `json:"limit"`
	Persisted bool        `json:"persisted"`
	Error     string      `json:"error,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Stats returns the scheduler's and the service's statistics.
func (s *Service) Stats() Stats {
	var st sched.Stats
	s.s.Snapshot(&st)
	cfg := s.s.Config()
	out := Stats{Time: st.Time, Policy: st.Policy.String(), Depth: st.Depth, Pending: st.Pending, Capacity: st.Capacity,
		Responses: st.Responses, Tenants: st.Tenants, Classes: make([]ClassStats, sched.NumClasses)}
	for c := range sched.NumClasses {
		cs := &st.Classes[c]
		o := ClassStats{Class: sched.Class(c).String(), Depth: cs.Depth, Submitted: cs.Submitted, Released: cs.Released,
			Delayed: cs.Delayed, DeadlineMisses: cs.DeadlineMisses, Shed: map[string]uint64{}, ShedTotal: cs.ShedTotal,
			Forced: s.c.forced[c].Load(),
			Wait: WaitSummary{Count: cs.Wait.Count, MeanMS: ms(cs.Wait.Mean), P50MS: ms(cs.Wait.P50), P90MS: ms(cs.Wait.P90),
				P99MS: ms(cs.Wait.P99), P999MS: ms(cs.Wait.P999), MaxMS: ms(cs.Wait.Max)},
			Opened: cs.Opened, Admitted: cs.Admitted, DegradedIn: cs.DegradedIn, DegradedOut: cs.DegradedOut,
			Rejected: cs.Rejected, Utilization: cs.Utilization, CostMS: ms(cs.Cost),
			BudgetMS: ms(cfg.Classes[c].Budget), Limit: cfg.Classes[c].Limit, Tokens: cs.Tokens}
		for r := sched.Reason(1); r < sched.NumReasons; r++ {
			if n := cs.Shed[r]; n > 0 {
				o.Shed[r.String()] = n
			}
		}
		for i, r := range directReasons {
			if n := s.c.direct[c][i].Load(); n > 0 {
				o.Shed[r] += n
				o.ShedTotal += n
			}
		}
		// A forced chunk was counted as shed by pkg/sched but reached WORK.
		o.ShedTotal -= min(o.ShedTotal, o.Forced)
		out.Classes[c] = o
	}
	out.Service = ServiceCounters{Acked: s.c.acked.Load(), Duplicates: s.c.duplicates.Load(), Invalid: s.c.invalid.Load(),
		QueueFull: s.c.queueFull.Load(), BadInput: map[string]uint64{}, Recovered: s.c.recovered.Load(),
		PublishRetries: s.c.publishRetries.Load(), ConfigApplied: s.c.configApplied.Load(),
		ConfigErrors: s.c.configErrors.Load(), CostProbes: s.c.costProbes.Load(), Responses: s.OpenResponses()}
	for i, k := range badKinds {
		out.Service.BadInput[k] = s.c.bad[i].Load()
	}
	return out
}

// SetRate changes a class's token bucket on this replica at once and stores it in ms_config
// (scheduler.rate.<class>) for every replica. Zero or negative rates are errors (ErrBadRequest).
func (s *Service) SetRate(ctx context.Context, req SetRateRequest) (SetRateResponse, error) {
	c, err := parseClassStrict(req.Class)
	if err != nil {
		return SetRateResponse{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	val := []byte("none")
	if !req.Unlimited {
		if req.Burst == 0 {
			req.Burst = max(1, req.PerSecond/10)
		}
		if val, err = json.Marshal(sched.Rate{PerSecond: req.PerSecond, Burst: req.Burst}); err != nil {
			return SetRateResponse{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if _, err := ParseRate(string(val)); err != nil {
			return SetRateResponse{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	key := KeyRatePrefix + c.String()
	if err := s.ApplyKey(key, val); err != nil {
		return SetRateResponse{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	resp := SetRateResponse{Class: c.String(), Limit: s.s.Config().Classes[c].Limit, Persisted: true}
	if err := s.putKey(ctx, key, val); err != nil {
		resp.Persisted, resp.Error = false, "applied on this replica only: "+err.Error()
	}
	return resp, nil
}

// AddMicro registers the "scheduler" micro service (endpoints scheduler.stats and
// scheduler.set-rate, discoverable through $SRV.PING|INFO|STATS). Run calls it; ctx bounds
// the configuration writes of set-rate.
func (s *Service) AddMicro(ctx context.Context) (micro.Service, error) {
	svc, err := micro.AddService(s.nc, micro.Config{Name: Name, Version: Version,
		Description: "midstream scheduler: per-class statistics and rate control"})
	if err != nil {
		return nil, fmt.Errorf("scheduler: micro: %w", err)
	}
	g := svc.AddGroup(Name)
	if err := g.AddEndpoint("stats", micro.HandlerFunc(func(req micro.Request) {
		respond(req, s.Stats())
	})); err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("scheduler: micro endpoint stats: %w", err)
	}
	if err := g.AddEndpoint("set-rate", micro.HandlerFunc(func(req micro.Request) {
		var r SetRateRequest
		if err := json.Unmarshal(req.Data(), &r); err != nil {
			_ = req.Error(CodeBadRequest, "set-rate: "+err.Error(), nil)
			return
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := s.SetRate(rctx, r)
		if err != nil {
			code := CodeInternal
			if errors.Is(err, ErrBadRequest) {
				code = CodeBadRequest
			}
			_ = req.Error(code, err.Error(), nil)
			return
		}
		respond(req, resp)
	})); err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("scheduler: micro endpoint set-rate: %w", err)
	}
	return svc, nil
}

func respond(req micro.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		_ = req.Error(CodeInternal, err.Error(), nil)
		return
	}
	_ = req.Respond(b)
}
