package learn

import (
	"fmt"
	"math"
)

// MetaConfig parameterises levels 3 and up.
//
// Level 3 watches the evaluated changes of each level-2 threshold. When two successive changes
// move in opposite directions (the threshold oscillates around its target), it multiplies the
// policy's gain by e^-η and its required evidence by e^η; when they move the same way and the
// later one improved the rate, it multiplies the gain by e^(η/2) and the evidence by e^-η, so
// consistently useful adjustments are made sooner. A change that degraded the rate also damps
// the gain. This is Kesten's accelerated stochastic approximation (Kesten, Ann. Math. Stat. 29
// (1958) 41): step sizes shrink only when the iterate's direction changes. The asymmetric
// factors make a flip-flop sequence shrink the gain geometrically (e^-η/2 per pair).
//
// Level L ≥ 4 applies the same rule one level up: it watches the signs of level L-1's changes to
// its parameter (grow or damp) and adapts level L-1's rate η with its own rate. The top level's
// rate is Rate; the lower ones start at Rate and live in the configuration (RateKey).
type MetaConfig struct {
	Rate                     float64 // η of the top level, and the initial η of the others
	MinGain, MaxGain         float64 // bounds of the adapted gains
	MinEvidence, MaxEvidence float64 // bounds of the adapted evidence (labels)
	MinRate, MaxRate         float64 // bounds of the adapted rates
}

func (m *MetaConfig) validate() error {
	switch {
	case !(m.Rate > 0 && m.Rate <= 5):
		return &InputError{Field: "MetaConfig.Rate", Reason: "must be in (0, 5]"}
	case !(m.MinGain > 0 && m.MinGain < m.MaxGain):
		return &InputError{Field: "MetaConfig.MinGain", Reason: "need 0 < MinGain < MaxGain"}
	case !(m.MinEvidence >= 1 && m.MinEvidence < m.MaxEvidence):
		return &InputError{Field: "MetaConfig.MinEvidence", Reason: "need 1 <= MinEvidence < MaxEvidence"}
	case !(m.MinRate > 0 && m.MinRate < m.MaxRate):
		return &InputError{Field: "MetaConfig.MinRate", Reason: "need 0 < MinRate < MaxRate"}
	}
	return nil
}

// metaState is the sign memory of one level-2 key: last[L] is the direction of level L's most
// recent change (±1, 0 if none yet).
type metaState struct {
	last [MaxDepth + 1]int
}

// metaObserve is called when a change made by level `level` for base key `base` has been judged
// (level 2: evaluated from feedback; higher levels: applied). It lets level+1 react.
func (l *Learner) metaObserve(level int, base string, sign int, improved, degraded bool) {
	up := level + 1
	if up > l.cfg.depth || sign == 0 {
		return
	}
	st := l.meta[base]
	if st == nil {
		st = &metaState{}
		l.meta[base] = st
	}
	prev := st.last[level]
	st.last[level] = sign
	eta := l.rate(base, up)
	var factor, evFactor float64
	var why string
	switch {
	case level == 2 && degraded:
		factor, evFactor, why = math.Exp(-eta), math.Exp(eta), "the last change degraded the rate"
	case prev != 0 && sign != prev:
		factor, evFactor, why = math.Exp(-eta), math.Exp(eta), "successive changes flipped direction (oscillation)"
	case prev != 0 && sign == prev && (level > 2 || improved):
		factor, evFactor, why = math.Exp(eta/2), math.Exp(-eta), "successive changes agree and helped"
	default:
		return
	}
	var pkey string
	var lo, hi, def float64
	if level == 2 {
		pkey, lo, hi, def = GainKey(base), l.cfg.meta.MinGain, l.cfg.meta.MaxGain, l.targetGain(base)
	} else {
		pkey, lo, hi, def = RateKey(base, level), l.cfg.meta.MinRate, l.cfg.meta.MaxRate, l.cfg.meta.Rate
	}
	ev := Evidence{N: 2, Estimate: float64(sign), Target: float64(prev),
		Detail: fmt.Sprintf("direction of level-%d changes: previous %+d, latest %+d", level, prev, sign)}
	l.proposeMeta(up, base, level, pkey, def, factor, lo, hi, why, ev)
	if level == 2 {
		l.proposeMeta(up, base, 0, EvidenceKey(base), float64(l.targetEvidence(base)), evFactor,
			l.cfg.meta.MinEvidence, l.cfg.meta.MaxEvidence, why, ev)
	}
}

// rate returns level's adaptation rate η for base.
func (l *Learner) rate(base string, level int) float64 {
	if level >= l.cfg.depth {
		return l.cfg.meta.Rate
	}
	return l.cur.Number(RateKey(base, level), l.cfg.meta.Rate)
}

// proposeMeta proposes key := clamp(value·factor). watched is the level whose parameter this is
// (so that its sign is observed by the level above on application), 0 for evidence.
func (l *Learner) proposeMeta(level int, base string, watched int, key string, def, factor, lo, hi float64, why string, ev Evidence) {
	if _, busy := l.pendingKey[key]; busy {
		return
	}
	old := l.cur.Get(key)
	v := l.cur.Number(key, def)
	nv := min(max(v*factor, lo), hi)
	if nv == v {
		return
	}
	faster := nv > v
	if watched == 0 { // more evidence means slower
		faster = !faster
	}
	pace := "more cautiously"
	if faster {
		pace = "faster"
	}
	dir := "raise"
	if nv < v {
		dir = "lower"
	}
	m := Modification{
		Level: level, Key: key, Old: old, New: Number(nv),
		Reason:   fmt.Sprintf("%s %s from %.4g to %.4g: %s", dir, key, v, nv, why),
		Evidence: ev,
		Expected: fmt.Sprintf("level %d of %s learns %s", level-1, base, pace),
	}
	l.submit(m, base, watched)
}
