package metalearn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/learn"
	"github.com/nats-io/nats.go/micro"
)

// Micro endpoint subjects: the group "metalearn" with one endpoint per verb.
const (
	SubjectStatus    = Name + ".status"
	SubjectProposals = Name + ".proposals"
	SubjectApprove   = Name + ".approve"
	SubjectReject    = Name + ".reject"
	SubjectRollback  = Name + ".rollback"
	SubjectAudit     = Name + ".audit"
)

// Version is the micro service's version.
const Version = "0.1.0"

// Micro error codes (HTTP-like, in the Nats-Service-Error-Code header).
const (
	CodeBadRequest = "400"
	CodeNotFound   = "404"
	CodeConflict   = "409" // wrong state, stale, unsafe, or changed outside metalearn
	CodeInternal   = "500"
)

// maxRequest bounds a request body.
const maxRequest = 4096

// IDRequest is the body of approve and reject ({"id": 3, "reason": "..."}); a bare number is
// accepted too.
type IDRequest struct {
	ID     uint64 `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// RollbackRequest is the body of rollback: the learner's configuration revision to undo (as
// shown by proposals and audit); a bare number is accepted too.
type RollbackRequest struct {
	Revision uint64 `json:"revision"`
}

// AuditRequest is the optional body of audit: entries from From (default 1), at most Limit
// (default and maximum 500).
type AuditRequest struct {
	From  uint64 `json:"from,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// AddMicro registers the "metalearn" micro service on the service's connection. Run calls it;
// it is exported for tests and embedders that drive the service themselves.
func (s *Service) AddMicro(ctx context.Context) (micro.Service, error) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	ms, err := micro.AddService(s.nc, micro.Config{Name: Name, Version: Version,
		Description: "midstream metalearn: learning state, proposals, approvals, rollback and audit"})
	if err != nil {
		return nil, fmt.Errorf("metalearn: micro: %w", err)
	}
	g := ms.AddGroup(Name)
	eps := []struct {
		name string
		h    func(micro.Request)
	}{
		{"status", s.microStatus}, {"proposals", s.microProposals}, {"approve", s.microApprove},
		{"reject", s.microReject}, {"rollback", s.microRollback}, {"audit", s.microAudit},
	}
	for _, e := range eps {
		if err := g.AddEndpoint(e.name, micro.HandlerFunc(e.h)); err != nil {
			_ = ms.Stop()
			return nil, fmt.Errorf("metalearn: micro endpoint %s: %w", e.name, err)
		}
	}
	return ms, nil
}

func respond(req micro.Request, v any) {
	b, err := json.Marshal(Sanitize(v))
	if err != nil {
		_ = req.Error(CodeInternal, err.Error(), nil)
		return
	}
	_ = req.Respond(b)
}

func fail(req micro.Request, err error) {
	code := CodeInternal
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, learn.ErrInvalid):
		code = CodeBadRequest
	case errors.Is(err, learn.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, learn.ErrState), errors.Is(err, learn.ErrStale), errors.Is(err, learn.ErrUnsafe), errors.Is(err, ErrExternalChange):
		code = CodeConflict
	}
	_ = req.Error(code, err.Error(), nil)
}

// parseNumberOr decodes a body that is either a bare unsigned number or a JSON object.
func parseNumberOr(endpoint string, data []byte, num *uint64, obj any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return &RequestError{Endpoint: endpoint, Reason: "empty request"}
	}
	if len(data) > maxRequest {
		return &RequestError{Endpoint: endpoint, Reason: fmt.Sprintf("%d bytes, limit %d", len(data), maxRequest)}
	}
	if data[0] != '{' {
		n, err := strconv.ParseUint(string(data), 10, 64)
		if err != nil {
			return &RequestError{Endpoint: endpoint, Reason: fmt.Sprintf("%q is not a number or a JSON object", data)}
		}
		*num = n
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return &RequestError{Endpoint: endpoint, Reason: "bad JSON: " + err.Error()}
	}
	if dec.More() {
		return &RequestError{Endpoint: endpoint, Reason: "trailing data"}
	}
	return nil
}

// ParseIDRequest decodes an approve or reject body.
func ParseIDRequest(endpoint string, data []byte) (IDRequest, error) {
	var r IDRequest
	if err := parseNumberOr(endpoint, data, &r.ID, &r); err != nil {
		return r, err
	}
	if r.ID == 0 {
		return r, &RequestError{Endpoint: endpoint, Reason: "id must be a proposal id (1 or more)"}
	}
	if len(r.Reason) > 1024 {
		return r, &RequestError{Endpoint: endpoint, Reason: "reason longer than 1024 bytes"}
	}
	return r, nil
}

// ParseRollbackRequest decodes a rollback body.
func ParseRollbackRequest(data []byte) (RollbackRequest, error) {
	var r RollbackRequest
	if err := parseNumberOr("rollback", data, &r.Revision, &r); err != nil {
		return r, err
	}
	if r.Revision == 0 {
		return r, &RequestError{Endpoint: "rollback", Reason: "revision must be 1 or more (revision 0 is the initial configuration)"}
	}
	return r, nil
}

// Status is the status endpoint's answer.
type Status struct {
	Mode     Mode          `json:"mode"`
	Summary  learn.Summary `json:"summary"`
	Counters Counters      `json:"counters"`
	Open     int           `json:"open_responses"`
	Restored int           `json:"restored_audit_entries"`
	Targets  []TargetSpec  `json:"targets"`
	// Level1 is the knowledge per tenant and model (at most 32 baselines, 10 patterns each).
	Level1 []learn.BaselineSummary `json:"level1"`
	// Level2 is each threshold policy's state.
	Level2 []learn.TargetStatus `json:"level2"`
	// Level3 holds the meta-policy's parameters (gains, evidence, rates) now.
	Level3 map[string]float64 `json:"level3"`
	// Recent lists the last proposals (at most 20) with their fate.
	Recent []ProposalView `json:"recent"`
}

// ProposalView is a proposal as the endpoints show it.
type ProposalView struct {
	ID         uint64              `json:"id"`
	Status     string              `json:"status"`
	Level      int                 `json:"level"`
	Key        string              `json:"key"`
	KVKey      string              `json:"kv_key"`
	Old        string              `json:"old"`
	New        string              `json:"new"`
	Reason     string              `json:"reason"`
	Expected   string              `json:"expected,omitempty"`
	Evidence   learn.Evidence      `json:"evidence"`
	Rollback   bool                `json:"rollback,omitempty"`
	RollbackOf uint64              `json:"rollback_of,omitempty"`
	Created    time.Time           `json:"created"`
	Rule       string              `json:"rejected_by,omitempty"`
	Rejection  string              `json:"rejection,omitempty"`
	Shadow     *learn.ShadowResult `json:"shadow,omitempty"`
	Revision   uint64              `json:"revision,omitempty"`
	KVRevision uint64              `json:"kv_revision,omitempty"`
}

func (s *Service) view(p learn.Proposal) ProposalView {
	kvKey, _ := LearnerToKV(p.Mod.Key)
	return ProposalView{ID: p.ID, Status: p.Status.String(), Level: p.Mod.Level, Key: p.Mod.Key, KVKey: kvKey,
		Old: p.Mod.Old.String(), New: p.Mod.New.String(), Reason: p.Mod.Reason, Expected: p.Mod.Expected,
		Evidence: p.Mod.Evidence, Rollback: p.Mod.Rollback, RollbackOf: p.Mod.RollbackOf, Created: p.Created,
		Rule: p.Rule, Rejection: p.Reason, Shadow: p.Shadow, Revision: p.Revision, KVRevision: s.kvRev[p.Revision]}
}

// Status returns the service's state (what the status endpoint answers).
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Mode: s.o.mode, Summary: s.l.Summary(), Counters: s.c, Open: len(s.open), Restored: s.restored,
		Level2: s.l.Summary().Targets, Level3: map[string]float64{}}
	for _, t := range s.targets {
		st.Targets = append(st.Targets, t.spec)
	}
	sums := s.l.Knowledge().Summaries()
	if len(sums) > 32 {
		sums = sums[:32]
	}
	for i := range sums {
		if len(sums[i].Patterns) > 10 {
			sums[i].Patterns = sums[i].Patterns[:10]
		}
	}
	st.Level1 = sums
	cfg := s.l.Config()
	for _, k := range cfg.Keys() {
		if strings.HasPrefix(k, "meta/") {
			st.Level3[k] = cfg.Number(k, math.NaN())
		}
	}
	all := s.l.Proposals()
	for i := max(0, len(all)-20); i < len(all); i++ {
		st.Recent = append(st.Recent, s.view(all[i]))
	}
	return st
}

func (s *Service) microStatus(req micro.Request) { respond(req, s.Status()) }

// Proposals is the proposals endpoint's answer: every pending proposal and the last 50 of all.
type Proposals struct {
	Pending []ProposalView `json:"pending"`
	Recent  []ProposalView `json:"recent"`
}

func (s *Service) microProposals(req micro.Request) {
	s.mu.Lock()
	out := Proposals{Pending: []ProposalView{}, Recent: []ProposalView{}}
	for _, p := range s.l.Pending() {
		out.Pending = append(out.Pending, s.view(p))
	}
	all := s.l.Proposals()
	for i := max(0, len(all)-50); i < len(all); i++ {
		out.Recent = append(out.Recent, s.view(all[i]))
	}
	s.mu.Unlock()
	respond(req, out)
}

// Approve applies pending proposal id (the approve endpoint): the safety constraints are
// checked again and the value is written to ms_config. Shadow evaluation is the operator's call
// here: an approval overrides it.
func (s *Service) Approve(ctx context.Context, id uint64) (ProposalView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.apply(ctx, id)
	if err != nil {
		return ProposalView{}, err
	}
	return s.view(p), nil
}

func (s *Service) microApprove(req micro.Request) {
	r, err := ParseIDRequest("approve", req.Data())
	if err != nil {
		fail(req, err)
		return
	}
	ctx, cancel := s.reqCtx()
	defer cancel()
	v, err := s.Approve(ctx, r.ID)
	if err != nil {
		fail(req, err)
		return
	}
	respond(req, v)
}

// Reject rejects pending proposal id with the operator's reason.
func (s *Service) Reject(ctx context.Context, id uint64, reason string) (ProposalView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason == "" {
		reason = "rejected by an operator"
	}
	if err := s.l.Reject(id, reason); err != nil {
		return ProposalView{}, err
	}
	s.persistAudit(ctx)
	p, err := s.l.Proposal(id)
	if err != nil {
		return ProposalView{}, err
	}
	return s.view(p), nil
}

func (s *Service) microReject(req micro.Request) {
	r, err := ParseIDRequest("reject", req.Data())
	if err != nil {
		fail(req, err)
		return
	}
	ctx, cancel := s.reqCtx()
	defer cancel()
	v, err := s.Reject(ctx, r.ID, r.Reason)
	if err != nil {
		fail(req, err)
		return
	}
	respond(req, v)
}

// Rollback undoes the change that produced learner revision rev: it proposes the rollback and
// applies it (an operator's request needs no further approval, in either mode), writing the old
// value back to ms_config.
func (s *Service) Rollback(ctx context.Context, rev uint64) (ProposalView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.l.Rollback(rev)
	if err != nil {
		s.persistAudit(ctx)
		return ProposalView{}, err
	}
	ap, err := s.apply(ctx, p.ID)
	if err != nil {
		return s.view(ap), err
	}
	return s.view(ap), nil
}

func (s *Service) microRollback(req micro.Request) {
	r, err := ParseRollbackRequest(req.Data())
	if err != nil {
		fail(req, err)
		return
	}
	ctx, cancel := s.reqCtx()
	defer cancel()
	v, err := s.Rollback(ctx, r.Revision)
	if err != nil {
		fail(req, err)
		return
	}
	respond(req, v)
}

// AuditView is one audit entry as the audit endpoint shows it.
type AuditView struct {
	AuditRecord
	Kind string `json:"kind"`
}

func (s *Service) microAudit(req micro.Request) {
	var r AuditRequest
	if d := bytes.TrimSpace(req.Data()); len(d) > 0 {
		var n uint64
		if err := parseNumberOr("audit", d, &n, &r); err != nil {
			fail(req, err)
			return
		}
		if n > 0 {
			r.From = n
		}
	}
	if r.Limit <= 0 || r.Limit > 500 {
		r.Limit = 500
	}
	if r.From == 0 {
		r.From = 1
	}
	s.mu.Lock()
	es := s.l.Audit(r.From)
	if len(es) > r.Limit {
		es = es[:r.Limit]
	}
	out := make([]AuditView, len(es))
	for i, e := range es {
		out[i].Entry, out[i].Kind = e, e.Kind.String()
		out[i].KVKey, _ = LearnerToKV(e.Mod.Key)
		if e.Kind == learn.AuditApplied {
			out[i].KVRevision = s.kvRev[e.Revision]
		}
	}
	s.mu.Unlock()
	respond(req, out)
}

// Sanitize returns v as plain maps, slices and scalars for JSON, with non-finite floats as
// null (encoding/json refuses NaN, which learning statistics produce on empty samples) and
// structs keyed by their JSON names.
func Sanitize(v any) any { return sanitize(reflect.ValueOf(v)) }

func sanitize(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return sanitize(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = sanitize(v.Index(i))
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[fmt.Sprint(sanitize(it.Key()))] = sanitize(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("json"); tag != "" {
				n, opts, _ := strings.Cut(tag, ",")
				if n == "-" {
					continue
				}
				if n != "" {
					name = n
				}
				if strings.Contains(opts, "omitempty") && v.Field(i).IsZero() {
					continue
				}
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
				if m, ok := sanitize(v.Field(i)).(map[string]any); ok {
					for k, x := range m {
						out[k] = x
					}
				}
				continue
			}
			out[name] = sanitize(v.Field(i))
		}
		return out
	default:
		return v.Interface()
	}
}

// reqCtx bounds one request's bus operations; it derives from Run's context, so a request
// in flight at shutdown is cut short.
func (s *Service) reqCtx() (context.Context, context.CancelFunc) {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, 10*time.Second)
}
