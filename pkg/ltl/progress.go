package ltl

// Formula progression on finite traces. For a residual formula φ, an event σ (a valuation,
// and for time bounds the milliseconds d since the previous event) and any continuation w
// (possibly empty), prog satisfies  σw ⊨ φ  iff  w ⊨ prog(φ, σ), where a formula holds on the
// empty continuation iff its node's eps flag is set (F, U, X and atoms are strong: false; G, R,
// N are weak: true). The strong next X φ progresses to φ ∧ F true when φ itself would hold on
// the empty continuation, and the weak next N φ to φ ∨ G false in the dual case: F true and
// G false are the LTLf idioms "another event follows" and "the trace ends here".

func (t *table) prog(x int32, v uint64, d int64) int32 {
	n := t.nodes[x]
	switch n.k {
	case kTrue, kFalse:
		return x
	case kLit:
		if (v>>uint(n.atom))&1 == 1 != n.neg {
			return t.tt
		}
		return t.ff
	case kAnd:
		a := t.prog(n.a, v, d)
		if a == t.ff {
			return a
		}
		return t.dand(a, t.prog(n.b, v, d))
	case kOr:
		a := t.prog(n.a, v, d)
		if a == t.tt {
			return a
		}
		return t.dor(a, t.prog(n.b, v, d))
	case kX:
		if t.nodes[n.a].eps {
			return t.dand(n.a, t.more)
		}
		return n.a
	case kN:
		if !t.nodes[n.a].eps {
			return t.dor(n.a, t.end)
		}
		return n.a
	case kF:
		return t.dor(t.prog(n.a, v, d), x)
	case kG:
		return t.dand(t.prog(n.a, v, d), x)
	case kU:
		return t.dor(t.prog(n.b, v, d), t.dand(t.prog(n.a, v, d), x))
	case kR:
		return t.dand(t.prog(n.b, v, d), t.dor(t.prog(n.a, v, d), x))
	case kFs, kGs, kUs, kRs:
		return t.progSteps(n, v, d)
	case kFa, kGa, kUa, kRa:
		// The window was relative to the previous event; shift it to this one.
		lo, hi := int64(n.lo)-d, int64(n.hi)-d
		if hi < 0 {
			if n.k == kGa || n.k == kRa {
				return t.tt
			}
			return t.ff
		}
		return t.progTimed(n.k-kFa+kFt, max(lo, 0), hi, n.a, n.b, v, d)
	case kFt, kGt, kUt, kRt:
		return t.progTimed(n.k, int64(n.lo), int64(n.hi), n.a, n.b, v, d)
	}
	panic("ltl: unknown node kind")
}

// progSteps progresses a step-bounded operator: the window [lo, hi] counts events from the
// current one (0) on.
func (t *table) progSteps(n node, v uint64, d int64) int32 {
	lo, hi := int64(n.lo), int64(n.hi)
	next := func() int32 { return t.bnd(n.k, max(lo-1, 0), hi-1, n.a, n.b) }
	switch n.k {
	case kFs:
		if lo > 0 {
			return next()
		}
		r := t.prog(n.a, v, d)
		if hi > 0 {
			r = t.dor(r, next())
		}
		return r
	case kGs:
		if lo > 0 {
			return next()
		}
		r := t.prog(n.a, v, d)
		if hi > 0 {
			r = t.dand(r, next())
		}
		return r
	case kUs:
		if lo > 0 {
			return t.dand(t.prog(n.a, v, d), next())
		}
		r := t.prog(n.b, v, d)
		if hi > 0 {
			r = t.dor(r, t.dand(t.prog(n.a, v, d), next()))
		}
		return r
	default: // kRs, the dual of kUs
		if lo > 0 {
			return t.dor(t.prog(n.a, v, d), next())
		}
		r := t.prog(n.b, v, d)
		if hi > 0 {
			r = t.dand(r, t.dor(t.prog(n.a, v, d), next()))
		}
		return r
	}
}

// progTimed progresses a time-bounded operator whose window [lo, hi] (ms) is relative to the
// current event; what remains is anchored at this event and shifted by the next event's delay.
func (t *table) progTimed(k kind, lo, hi int64, a, b int32, v uint64, d int64) int32 {
	rest := t.bnd(k-kFt+kFa, lo, hi, a, b)
	now := lo == 0
	switch k {
	case kFt:
		if now {
			return t.dor(t.prog(a, v, d), rest)
		}
		return rest
	case kGt:
		if now {
			return t.dand(t.prog(a, v, d), rest)
		}
		return rest
	case kUt:
		r := t.dand(t.prog(a, v, d), rest)
		if now {
			r = t.dor(t.prog(b, v, d), r)
		}
		return r
	default: // kRt
		r := t.dor(t.prog(a, v, d), rest)
		if now {
			r = t.dand(t.prog(b, v, d), r)
		}
		return r
	}
}
