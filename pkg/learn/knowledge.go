package learn

import (
	"cmp"
	"slices"
)

// TenantModel keys level-1 knowledge.
type TenantModel struct {
	Tenant string
	Model  string
}

// RuleKey names an analyser's rule.
type RuleKey struct {
	Analyser string
	Rule     string
}

// Baseline is level 1 for one tenant and model: streaming distributions of every signal and
// verdict score, per-rule flag rates and label counts, and the token patterns that precede
// violations. Its memory is bounded by the Knowledge limits.
type Baseline struct {
	Responses uint64
	Signals   map[string]*Sketch
	Scores    map[RuleKey]*Sketch
	Flags     map[RuleKey]*Rate // flagged responses / responses observed
	Labels    map[RuleKey]*LabelCounts
	Miner     *PatternMiner
	// Dropped counts series not created because the baseline reached its series limit.
	Dropped uint64
}

// LabelCounts counts feedback labels for one rule.
type LabelCounts struct {
	TP, FP, TN, FN uint64
}

// FPRate returns false positives among labelled positives (FP/(TP+FP)) as a Rate.
func (c *LabelCounts) FPRate() Rate { return Rate{Hits: c.FP, Trials: c.TP + c.FP} }

// add counts (d > 0) or uncounts (d < 0) one label.
func (c *LabelCounts) add(l Label, d int) {
	var p *uint64
	switch l {
	case LabelTruePositive:
		p = &c.TP
	case LabelFalsePositive:
		p = &c.FP
	case LabelTrueNegative:
		p = &c.TN
	case LabelFalseNegative:
		p = &c.FN
	default:
		return
	}
	if d > 0 {
		*p++
	} else if *p > 0 {
		*p--
	}
}

// Knowledge holds the baselines of all tenants and models.
type Knowledge struct {
	alpha        float64
	maxBins      int
	maxSeries    int
	maxBaselines int
	miner        MinerConfig
	baselines    map[TenantModel]*Baseline
}

func newKnowledge(c *config) *Knowledge {
	return &Knowledge{
		alpha:        c.alpha,
		maxBins:      c.maxBins,
		maxSeries:    c.maxSeries,
		maxBaselines: c.maxBaselines,
		miner:        c.miner,
		baselines:    make(map[TenantModel]*Baseline),
	}
}

// Baseline returns the baseline of a tenant and model, nil if none was observed.
func (k *Knowledge) Baseline(tenant, model string) *Baseline {
	return k.baselines[TenantModel{tenant, model}]
}

func (k *Knowledge) baseline(tm TenantModel) (*Baseline, error) {
	if b, ok := k.baselines[tm]; ok {
		return b, nil
	}
	if len(k.baselines) >= k.maxBaselines {
		return nil, &LimitError{What: "tenant/model baselines", Size: len(k.baselines) + 1, Limit: k.maxBaselines}
	}
	m, err := NewPatternMiner(k.miner)
	if err != nil {
		return nil, err
	}
	b := &Baseline{
		Signals: make(map[string]*Sketch),
		Scores:  make(map[RuleKey]*Sketch),
		Flags:   make(map[RuleKey]*Rate),
		Labels:  make(map[RuleKey]*LabelCounts),
		Miner:   m,
	}
	k.baselines[tm] = b
	return b, nil
}

func (b *Baseline) series() int { return len(b.Signals) + len(b.Scores) }

// observe updates the baseline with one observation; o is valid.
func (k *Knowledge) observe(b *Baseline, o *Observation) {
	b.Responses++
	for i := range o.Signals {
		s := &o.Signals[i]
		sk, ok := b.Signals[s.Name]
		if !ok {
			if b.series() >= k.maxSeries {
				b.Dropped++
				continue
			}
			sk = NewSketch(k.alpha, k.maxBins)
			b.Signals[s.Name] = sk
		}
		sk.Add(s.Value)
	}
	for i := range o.Verdicts {
		v := &o.Verdicts[i]
		rk := RuleKey{v.Analyser, v.Rule}
		sk, ok := b.Scores[rk]
		if !ok {
			if b.series() >= k.maxSeries {
				b.Dropped++
				continue
			}
			sk = NewSketch(k.alpha, k.maxBins)
			b.Scores[rk] = sk
			// The rate's trials are this baseline's responses since the rule first appeared.
			b.Flags[rk] = &Rate{}
		}
		sk.Add(v.Score)
	}
	for rk, r := range b.Flags {
		r.Add(flagged(o.Verdicts, rk))
	}
	b.Miner.Add(o.Tokens, o.violationAt())
}

func flagged(vs []Verdict, rk RuleKey) bool {
	for i := range vs {
		if vs[i].Flagged && vs[i].Analyser == rk.Analyser && vs[i].Rule == rk.Rule {
			return true
		}
	}
	return false
}

// SeriesSummary describes one streaming distribution. Quantiles are within RelErr relative
// error of the true rank statistic (DDSketch guarantee) unless Collapsed.
type SeriesSummary struct {
	Name           string
	Count          uint64
	Mean, Min, Max float64
	P50, P90, P99  float64
	RelErr         float64
	Collapsed      bool
}

// RateSummary is a proportion with its Wilson 95% interval.
type RateSummary struct {
	Analyser, Rule string
	Hits, Trials   uint64
	P, Lo, Hi      float64
}

// BaselineSummary is a snapshot of one baseline for display.
type BaselineSummary struct {
	Tenant, Model string
	Responses     uint64
	Signals       []SeriesSummary
	Scores        []SeriesSummary // Name is "analyser/rule"
	FlagRates     []RateSummary
	FPRates       []RateSummary // false positives among labelled positives
	Patterns      []Pattern
	Dropped       uint64
}

func summarize(name string, s *Sketch) SeriesSummary {
	q := func(p float64) float64 { v, _ := s.Quantile(p); return v }
	return SeriesSummary{
		Name: name, Count: s.Count(), Mean: s.Mean(), Min: s.Min(), Max: s.Max(),
		P50: q(0.5), P90: q(0.9), P99: q(0.99), RelErr: s.Alpha(), Collapsed: s.Collapsed(),
	}
}

func rateSummary(rk RuleKey, r Rate) RateSummary {
	lo, hi := r.Wilson(Z95)
	return RateSummary{Analyser: rk.Analyser, Rule: rk.Rule, Hits: r.Hits, Trials: r.Trials, P: r.P(), Lo: lo, Hi: hi}
}

// Summaries returns a snapshot of every baseline, sorted by tenant and model.
func (k *Knowledge) Summaries() []BaselineSummary {
	out := make([]BaselineSummary, 0, len(k.baselines))
	for tm, b := range k.baselines {
		s := BaselineSummary{Tenant: tm.Tenant, Model: tm.Model, Responses: b.Responses, Dropped: b.Dropped}
		for name, sk := range b.Signals {
			s.Signals = append(s.Signals, summarize(name, sk))
		}
		for rk, sk := range b.Scores {
			s.Scores = append(s.Scores, summarize(rk.Analyser+"/"+rk.Rule, sk))
		}
		for rk, r := range b.Flags {
			s.FlagRates = append(s.FlagRates, rateSummary(rk, *r))
		}
		for rk, c := range b.Labels {
			s.FPRates = append(s.FPRates, rateSummary(rk, c.FPRate()))
		}
		s.Patterns = b.Miner.Patterns(nil)
		slices.SortFunc(s.Signals, func(a, b SeriesSummary) int { return cmp.Compare(a.Name, b.Name) })
		slices.SortFunc(s.Scores, func(a, b SeriesSummary) int { return cmp.Compare(a.Name, b.Name) })
		byRule := func(a, b RateSummary) int {
			return cmp.Or(cmp.Compare(a.Analyser, b.Analyser), cmp.Compare(a.Rule, b.Rule))
		}
		slices.SortFunc(s.FlagRates, byRule)
		slices.SortFunc(s.FPRates, byRule)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b BaselineSummary) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Model, b.Model))
	})
	return out
}
