package ltl

import "time"

// Monitor follows one trace online. It is not safe for concurrent use; give each stream its
// own Monitor (they may share the Compiled).
type Monitor struct {
	c         *Compiled
	state     StateID
	verdict   Verdict
	n         int
	decidedAt int
	lastMs    int64
}

// NewMonitor returns a monitor at the start of a trace.
func (c *Compiled) NewMonitor() *Monitor {
	m := &Monitor{c: c}
	m.Reset()
	return m
}

// Reset returns the monitor to the start of a trace.
func (m *Monitor) Reset() {
	m.state, m.n, m.decidedAt, m.lastMs = 0, 0, -1, 0
	m.verdict = m.c.Decided(0)
}

// Compiled returns the compiled formula the monitor runs.
func (m *Monitor) Compiled() *Compiled { return m.c }

// Atoms returns the formula's atoms; atom i is bit i of a Valuation.
func (m *Monitor) Atoms() []string { return m.c.atoms }

// Step consumes one event. For timed formulas it is StepAt with no time elapsed since the
// previous event. Once the verdict is definitive further events leave it unchanged.
func (m *Monitor) Step(v Valuation) Verdict {
	c := m.c
	if c.dense {
		// Fast path: one load from the lock-free transition table and one from the
		// verdict table.
		sn := c.snap.Load()
		if i := int(m.state)<<c.k | int(v&c.vmask()); i < len(sn.next) {
			if n := sn.next[i].Load(); n >= 0 {
				if d := sn.verd[n].Load(); d != 0 {
					m.advance(StateID(n), Verdict(d-1))
					return m.verdict
				}
			}
		}
	}
	n := c.NextAt(m.state, v, 0)
	m.advance(n, c.Decided(n))
	return m.verdict
}

// StepAt consumes one event at time t (any fixed origin; times must not decrease: a time
// before the previous event's counts as equal to it). Resolution is 1 ms.
func (m *Monitor) StepAt(v Valuation, t time.Duration) Verdict {
	if !m.c.timed {
		return m.Step(v)
	}
	ms := t.Milliseconds()
	d := time.Duration(0)
	if m.n > 0 && ms > m.lastMs {
		d = time.Duration(ms-m.lastMs) * time.Millisecond
	}
	if m.n == 0 || ms > m.lastMs {
		m.lastMs = ms
	}
	n := m.c.NextAt(m.state, v, d)
	m.advance(n, m.c.Decided(n))
	return m.verdict
}

// StepMap consumes an event given as a map of atom values (absent atoms are false).
func (m *Monitor) StepMap(props map[string]bool) Verdict {
	return m.Step(m.c.ValuationOf(props))
}

// StepFunc consumes an event whose atom values lookup reports.
func (m *Monitor) StepFunc(lookup func(atom string) bool) Verdict {
	return m.Step(m.c.ValuationFunc(lookup))
}

func (m *Monitor) advance(n StateID, v Verdict) {
	m.state, m.verdict = n, v
	if m.decidedAt < 0 && v.Definitive() {
		m.decidedAt = m.n
	}
	m.n++
}

// State returns the current state.
func (m *Monitor) State() StateID { return m.state }

// Verdict returns the verdict on the events consumed so far.
func (m *Monitor) Verdict() Verdict { return m.verdict }

// Holds returns the LTLf value of the formula if the trace ended now.
func (m *Monitor) Holds() bool { return m.verdict.Holds() }

// Len returns the number of events consumed.
func (m *Monitor) Len() int { return m.n }

// DecidedAt returns the index of the event after which the verdict became definitive, or -1.
func (m *Monitor) DecidedAt() int { return m.decidedAt }
