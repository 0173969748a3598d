package verifier

import (
	"context"
	"fmt"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/ltl"
	"github.com/midstream/midstream/pkg/rules"
	"github.com/midstream/midstream/pkg/wire"
)

// ruleState is one rule's monitor in one response.
type ruleState struct {
	state    ltl.StateID
	verdict  ltl.Verdict // the last verdict published (the empty trace's at first)
	decided  bool
	overflow bool // too many state changes to record the trace
	changes  int  // presumable changes published
	runs     []run
}

// session is the verifier's state for one response.
type session struct {
	a    *Analyser
	cfg  *config
	p    *policy
	st   *rules.Stream
	val  rules.Valuation
	rs   []ruleState
	late bool // first seen after chunk 0

	n      int   // events (chunks) observed
	lastMs int64 // time of the latest event, Unix milliseconds
	ms0    int64 // time of the first event

	// History for explanations: the propositions (set.Words() words per event), chunk seqs
	// and times of the first MaxHistory events.
	words    int
	hist     []uint64
	seqs     []uint64
	times    []int64
	histFull bool

	explained int // explanations computed for the current chunk
}

func newSession(a *Analyser, cfg *config, p *policy) *session {
	s := &session{a: a, cfg: cfg, p: p}
	if p == nil || len(p.rules) == 0 {
		return s
	}
	s.st = cfg.set.NewStream()
	s.words = cfg.set.Words()
	s.rs = make([]ruleState, len(p.rules))
	for i, r := range p.rules {
		s.rs[i] = ruleState{state: r.c.Initial(), verdict: r.init}
	}
	return s
}

// Observe computes the chunk's propositions once and steps every rule's monitor.
func (s *session) Observe(ctx context.Context, c *wire.Chunk, e *analysis.Emitter) error {
	if s.st == nil {
		return nil
	}
	// The proposition stream numbers events itself; the runtime has already ordered chunks
	// and dropped redeliveries, and shed chunks (skipped seqs) are simply not events.
	in := c
	if c.Seq != s.st.Seq() {
		cp := *c
		cp.Seq = s.st.Seq()
		in = &cp
	}
	val, err := s.st.Next(s.val, in)
	if err != nil {
		return fmt.Errorf("verifier: propositions of chunk %d: %w", c.Seq, err)
	}
	s.val = val
	ms := s.lastMs
	if !c.Time.IsZero() {
		ms = c.Time.UnixMilli()
	}
	var dt time.Duration
	switch {
	case s.n == 0:
		s.lastMs, s.ms0 = ms, ms
		s.late = c.Seq != 0
	case ms > s.lastMs:
		dt = time.Duration(ms-s.lastMs) * time.Millisecond
		s.lastMs = ms
	}
	if !s.histFull {
		if len(s.seqs) >= s.a.sl.MaxHistory {
			s.histFull = true
		} else {
			s.hist = append(s.hist, val...)
			s.seqs = append(s.seqs, c.Seq)
			s.times = append(s.times, s.lastMs)
		}
	}
	s.n++
	s.explained = 0
	maxRuns := s.a.fo.MaxRuns
	for i, r := range s.p.rules {
		rs := &s.rs[i]
		if rs.decided {
			rs.extend(rs.state, maxRuns)
			continue
		}
		ns := r.c.NextAt(rs.state, ltl.Valuation(val.Project(r.idx)), dt)
		rs.state = ns
		rs.extend(ns, maxRuns)
		v := r.c.Decided(ns)
		switch {
		case v.Definitive():
			// Published even when the empty trace already had this verdict (a valid formula).
			rs.decided, rs.verdict = true, v
			s.emit(ctx, e, i, v, false)
		case v != rs.verdict:
			rs.verdict = v
			if rs.changes < s.a.sl.MaxChanges {
				rs.changes++
				s.emit(ctx, e, i, v, false)
			}
		}
	}
	if c.Final {
		// The response is complete: the LTLf value of every undecided rule is now definitive.
		for i, r := range s.p.rules {
			rs := &s.rs[i]
			if rs.decided {
				continue
			}
			rs.decided = true
			v := ltl.False
			if r.c.Accepting(rs.state) {
				v = ltl.True
			}
			rs.verdict = v
			s.emit(ctx, e, i, v, true)
		}
	}
	return nil
}

func (rs *ruleState) extend(st ltl.StateID, maxRuns int) {
	if rs.overflow {
		return
	}
	if k := len(rs.runs); k > 0 && rs.runs[k-1].state == st && rs.runs[k-1].n < ^uint32(0) {
		rs.runs[k-1].n++
		return
	}
	if len(rs.runs) >= maxRuns {
		rs.overflow, rs.runs = true, nil
		return
	}
	rs.runs = append(rs.runs, run{state: st, n: 1})
}

// End records the completed response's traces for the forecasts. Responses that did not end
// with their final chunk, or were first seen after chunk 0, have no known outcome or no
// complete trace, and are not recorded.
func (s *session) End(_ context.Context, reason analysis.EndReason, _ *analysis.Emitter) {
	if s.st == nil || reason != analysis.EndFinal || s.late || s.n > s.a.fo.MaxTraceLen {
		return
	}
	for i, r := range s.p.rules {
		rs := &s.rs[i]
		if rs.overflow || len(rs.runs) == 0 {
			continue
		}
		r.fc.add(pendingTrace{runs: rs.runs, violated: rs.verdict == ltl.False})
		rs.runs = nil
	}
}

// emit publishes rule i's verdict v reached at the current chunk.
func (s *session) emit(ctx context.Context, e *analysis.Emitter, i int, v ltl.Verdict, final bool) {
	r, rs := s.p.rules[i], &s.rs[i]
	ev := Evidence{Policy: s.p.name, Formula: r.formula, Description: r.desc, Event: s.n - 1, State: int(rs.state),
		Final: final, Late: s.late}
	out := wire.Verdict{Kind: KindRule, Rule: r.id, Status: statusOf(v)}
	switch {
	case v.Definitive():
		// A witness of a rule that merely held until the end is the whole trace's worth of
		// "nothing happened" and costs as much as a counterexample to minimise: only early
		// (definitive) truths get one. Explanations per chunk are bounded so that a chunk that
		// decides many rules at once stays cheap.
		switch {
		case final && v == ltl.True:
		case s.explained >= s.a.sl.MaxExplainPerChunk:
			ev.Unexplained = true
		default:
			s.explained++
			if x, ok := s.explain(i); !ok {
				ev.Truncated = true
			} else if v == ltl.False {
				ev.Counterexample = x
			} else {
				ev.Witness = x
			}
		}
		out.Confidence = 1
		out.Reason = fmt.Sprintf("rule %s %s: %s", r.id, map[bool]string{true: "holds", false: "violated"}[v == ltl.True], r.formula)
		if v == ltl.False && r.action != ActionNone {
			out.Action = r.action
			typ := wire.ActionFlag
			if r.action == ActionStop {
				typ = wire.ActionStop
			}
			e.Action(typ, r.id, out.Reason)
			s.a.m.action(ctx, r.action)
		}
	default:
		out.Reason = fmt.Sprintf("rule %s %s so far: %s", r.id, map[bool]string{true: "presumably holds", false: "presumably violated"}[v == ltl.PresumablyTrue], r.formula)
		if f := r.fc.forecast(); f != nil {
			est := f.Predict(int(rs.state), s.n-1)
			ev.Forecast = &ForecastEvidence{PViolation: est.P, Known: est.Known, Visits: est.Visits, Traces: est.Traces,
				ModelTraces: f.Traces(), BaseRate: f.BaseRate()}
			out.Score = est.P
			out.Confidence = est.P
			if v == ltl.PresumablyTrue {
				out.Confidence = 1 - est.P
			}
		}
	}
	out.Evidence = analysis.Evidence(ev)
	e.Verdict(out)
	s.a.m.verdict(ctx, out.Status)
}

func statusOf(v ltl.Verdict) string {
	switch v {
	case ltl.True:
		return StatusTrue
	case ltl.False:
		return StatusFalse
	case ltl.PresumablyTrue:
		return StatusPresumablyTrue
	default:
		return StatusPresumablyFalse
	}
}

// explain returns the counterexample or witness of rule i's verdict on the events so far, or
// false when the history no longer holds all of them.
func (s *session) explain(i int) (*Explanation, bool) {
	if s.histFull || len(s.seqs) != s.n {
		return nil, false
	}
	r := s.p.rules[i]
	trace := make([]ltl.Event, s.n)
	for j := range trace {
		v := rules.Valuation(s.hist[j*s.words : (j+1)*s.words])
		trace[j] = ltl.Event{V: ltl.Valuation(v.Project(r.idx)), T: time.Duration(s.times[j]-s.ms0) * time.Millisecond}
	}
	x := r.c.Explain(trace)
	if x.At < 0 {
		return nil, false
	}
	out := &Explanation{At: x.At, AtSeq: s.seqs[x.At], Slice: make([]SliceEvent, 0, len(x.Slice))}
	atoms := r.c.Atoms()
	for _, rel := range x.Slice {
		se := SliceEvent{Event: rel.Index, Seq: s.seqs[rel.Index], Atoms: make(map[string]bool)}
		for b, name := range atoms {
			if rel.Atoms&(1<<b) != 0 {
				se.Atoms[name] = rel.Values&(1<<b) != 0
			}
		}
		out.Slice = append(out.Slice, se)
	}
	return out, true
}
