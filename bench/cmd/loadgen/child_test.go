package main

import (
	"math"
	"strings"
	"testing"
)

const exposition = `# HELP midstream_analysis_chunks_total chunks analysed
# TYPE midstream_analysis_chunks_total counter
midstream_analysis_chunks_total{analyser="compare",otel_scope_name="x"} 120
midstream_analysis_chunks_total{analyser="verifier",otel_scope_name="x"} 118
midstream_analysis_chunks_total{analyser="compare",otel_scope_name="y"} 5
process_resident_memory_bytes 1.048576e+08
broken line
midstream_other{analyser="compare"} 7
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.get("process_resident_memory_bytes"); got != 104857600 {
		t.Fatalf("rss %v", got)
	}
	by := m.byLabel("midstream_analysis_chunks_total", "analyser")
	if len(by) != 2 || by["compare"] != 125 || by["verifier"] != 118 {
		t.Fatalf("by analyser %v", by)
	}
	if got := m.get("midstream_analysis_chunks_total"); got != 243 {
		t.Fatalf("sum %v", got)
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add(exposition)
	f.Add("")
	f.Add("a{b=\"\n")
	f.Add(`x{analyser="} 1`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMetrics(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, v := range m.byLabel("x", "analyser") {
			_ = v
		}
		_ = m.get("x")
	})
}

func TestPercentiles(t *testing.T) {
	v := make([]float64, 1000)
	for i := range v {
		v[i] = float64(1000 - i) // 1..1000, reversed
	}
	l := percentiles(v)
	// Nearest-rank percentiles of 1..1000: p50 = 500, p99 = 990, p99.9 = 999.
	if l.N != 1000 || l.P50 != 500 || l.P99 != 990 || l.P999 != 999 || l.Max != 1000 {
		t.Fatalf("%+v", l)
	}
	if l := percentiles(nil); l.N != 0 || l.P99 != 0 || math.IsNaN(l.P50) {
		t.Fatalf("%+v", l)
	}
}
