package learn

import (
	"fmt"
	"math"
	"path"
	"strings"
	"time"
)

// Bound limits the parameters whose keys match Key (see keyMatches: "verifier/*/threshold",
// "meta/**"): the value must stay in
// [Min, Max], and one change may move it by at most MaxStep (absolute) and MaxRelStep (relative
// to the old value's magnitude); zero step limits mean none. Every bound whose Key matches is
// enforced. Bounds apply to numeric values; a bounded key cannot be set to a text or removed.
type Bound struct {
	Key        string
	Min, Max   float64
	MaxStep    float64
	MaxRelStep float64
}

func (b *Bound) validate() error {
	switch {
	case b.Key == "":
		return &InputError{Field: "Bound.Key", Reason: "empty"}
	case math.IsNaN(b.Min) || math.IsNaN(b.Max) || b.Min > b.Max:
		return &InputError{Field: "Bound " + b.Key, Reason: "need Min <= Max"}
	case !(b.MaxStep >= 0) || !(b.MaxRelStep >= 0):
		return &InputError{Field: "Bound " + b.Key, Reason: "step limits must be >= 0"}
	}
	return nil
}

// keyMatches reports whether key matches pattern: "" and "**" match every key, a pattern ending
// in "**" matches every key with the prefix before it, and any other pattern is matched with
// path.Match, so "*" stands for one path segment ("verifier/*/threshold").
func keyMatches(pattern, key string) bool {
	if pattern == "" {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "**"); ok {
		return strings.HasPrefix(key, p)
	}
	ok, err := path.Match(pattern, key)
	return ok && err == nil
}

// Event is one entry of a key's history as the safety rules see it: an applied change (or, last
// in the trace under check, the proposed one) or an evaluation of a change.
type Event struct {
	Time     time.Time
	Change   bool // a change of the key (applied, or proposed when Proposed)
	Proposed bool
	Rollback bool
	Level    int
	Dir      int     // +1 raised, -1 lowered, 0 not numeric
	Value    float64 // value after the change, NaN if not numeric
	Eval     bool    // an evaluation of the key's last change
	Improved bool
	Degraded bool
}

// history is a bounded ring of a key's events.
type history struct {
	ev    []Event
	start int
	n     int
}

// push appends e, dropping the oldest event once capacity are held. Storage grows with use, so
// the many keys that change once or twice (mined patterns) cost a few events each.
func (h *history) push(e Event, capacity int) {
	if len(h.ev) < capacity {
		h.ev = append(h.ev, e)
		h.n++
		return
	}
	h.ev[h.start] = e
	h.start = (h.start + 1) % len(h.ev)
}

func (h *history) at(i int) *Event { return &h.ev[(h.start+i)%len(h.ev)] }

// safety checks modifications against bounds and rules.
type safety struct {
	bounds  []Bound
	rules   []*compiledRule
	hist    map[string]*history
	capHist int
}

func newSafety(bounds []Bound, rules []Rule, capHist int) (*safety, error) {
	s := &safety{bounds: bounds, hist: make(map[string]*history), capHist: capHist}
	seen := map[string]bool{}
	for i := range rules {
		if rules[i].Name == "" || seen[rules[i].Name] {
			return nil, &InputError{Field: "Rule.Name", Reason: fmt.Sprintf("rule %d: names must be non-empty and unique", i)}
		}
		seen[rules[i].Name] = true
		cr, err := compileRule(rules[i])
		if err != nil {
			return nil, err
		}
		s.rules = append(s.rules, cr)
	}
	return s, nil
}

// clamp returns nv moved into every matching bound and step limit from cur; the policies use it
// so that their proposals respect the bounds by construction (the check still runs).
func (s *safety) clamp(key string, cur, nv float64) float64 {
	for i := range s.bounds {
		b := &s.bounds[i]
		if !keyMatches(b.Key, key) {
			continue
		}
		if b.MaxStep > 0 {
			nv = min(max(nv, cur-b.MaxStep), cur+b.MaxStep)
		}
		if b.MaxRelStep > 0 {
			d := b.MaxRelStep * math.Abs(cur)
			nv = min(max(nv, cur-d), cur+d)
		}
		nv = min(max(nv, b.Min), b.Max)
	}
	return nv
}

// check runs the bounds, then the rules, and returns the first violation as a *ConstraintError.
func (s *safety) check(m *Modification, cur Config, now time.Time) error {
	for i := range s.bounds {
		b := &s.bounds[i]
		if !keyMatches(b.Key, m.Key) {
			continue
		}
		if m.New.Kind != KindNumber {
			return &ConstraintError{Rule: "bounds:" + b.Key, Key: m.Key, Reason: fmt.Sprintf("bounded parameter cannot become %v", m.New)}
		}
		v := m.New.Num
		if v < b.Min || v > b.Max {
			return &ConstraintError{Rule: "bounds:" + b.Key, Key: m.Key, Reason: fmt.Sprintf("%g outside [%g, %g]", v, b.Min, b.Max)}
		}
		old := cur.Get(m.Key)
		if old.Kind != KindNumber {
			continue
		}
		d := math.Abs(v - old.Num)
		// A rollback returns to a value that passed these checks when it was set; it is
		// exempt from step limits so that undoing several small steps is one change.
		if m.Rollback {
			continue
		}
		if b.MaxStep > 0 && d > b.MaxStep*(1+1e-12) {
			return &ConstraintError{Rule: "step:" + b.Key, Key: m.Key, Reason: fmt.Sprintf("step %g exceeds %g", d, b.MaxStep)}
		}
		if b.MaxRelStep > 0 && d > b.MaxRelStep*math.Abs(old.Num)*(1+1e-12) {
			return &ConstraintError{Rule: "step:" + b.Key, Key: m.Key, Reason: fmt.Sprintf("step %g exceeds %g of |%g|", d, b.MaxRelStep, old.Num)}
		}
	}
	if len(s.rules) == 0 {
		return nil
	}
	h := s.hist[m.Key]
	if h == nil {
		h = &history{}
	}
	prop := changeEvent(m, now)
	prop.Proposed = true
	for _, r := range s.rules {
		if !keyMatches(r.rule.Keys, m.Key) {
			continue
		}
		if err := r.check(m.Key, h, &prop); err != nil {
			return err
		}
	}
	return nil
}

func changeEvent(m *Modification, now time.Time) Event {
	e := Event{Time: now, Change: true, Rollback: m.Rollback, Level: m.Level, Value: math.NaN()}
	if m.New.Kind == KindNumber {
		e.Value = m.New.Num
		if m.Old.Kind == KindNumber {
			e.Dir = sign(m.New.Num - m.Old.Num)
		}
	}
	return e
}

func (s *safety) histFor(key string) *history {
	h := s.hist[key]
	if h == nil {
		h = &history{}
		s.hist[key] = h
	}
	return h
}

func (s *safety) recordChange(m *Modification, now time.Time) {
	h := s.histFor(m.Key)
	h.push(changeEvent(m, now), s.capHist)
}

func (s *safety) recordEval(key string, improved, degraded bool, now time.Time) {
	s.histFor(key).push(Event{Time: now, Eval: true, Improved: improved, Degraded: degraded, Value: math.NaN()}, s.capHist)
}
