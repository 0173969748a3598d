package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func seriesText(x []float64) string {
	var b strings.Builder
	for _, v := range x {
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		b.WriteByte('\n')
	}
	return b.String()
}

func henonSeries(n int) []float64 {
	x, y := 0.1, 0.1
	out := make([]float64, 0, n)
	for i := 0; len(out) < n; i++ {
		x, y = 1-1.4*x*x+y, 0.3*x
		if i >= 1000 {
			out = append(out, x)
		}
	}
	return out
}

// Hénon map: largest exponent 0.41922 per iteration (Sprott, Chaos and Time-Series
// Analysis, 2003), tolerance 10%.
func TestAnalyzeChaosHenon(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "henon.txt", seriesText(henonSeries(3000)))
	code, out, se := call(t, "analyze chaos", "", f)
	if code != 0 {
		t.Fatalf("code %d: %s", code, se)
	}
	for _, k := range []string{"n", "dt", "delay", "embedding_dimension", "lyapunov_max", "correlation_dimension", "attractor", "confidence"} {
		if _, ok := out[k]; !ok {
			t.Errorf("missing %q in %v", k, out)
		}
	}
	if out["n"].(float64) != 3000 || out["dt"].(float64) != 1 || out["delay"].(float64) != 1 || out["attractor"] != "strange" {
		t.Fatalf("%v", out)
	}
	if l := out["lyapunov_max"].(float64); math.Abs(l-0.41922)/0.41922 > 0.10 {
		t.Errorf("lyapunov_max %v", l)
	}
	if _, ok := out["period"]; ok {
		t.Errorf("period on a chaotic series: %v", out)
	}
	if c := out["confidence"].(float64); c <= 0.5 || c > 1 {
		t.Errorf("confidence %v", c)
	}
	// No Theiler exclusion at all is allowed (maps have no temporal correlation to exclude).
	code, out, se = call(t, "analyze chaos", "", "--theiler", "0", f)
	if code != 0 || out["theiler"].(float64) != 0 || out["attractor"] != "strange" {
		t.Fatalf("--theiler 0: code %d %v %s", code, out, se)
	}
	if l := out["lyapunov_max"].(float64); math.Abs(l-0.41922)/0.41922 > 0.10 {
		t.Errorf("--theiler 0: lyapunov_max %v", l)
	}
}

// Logistic map r = 4 sampled "every 0.1 s": λ = ln 2 per iteration = 6.931 per second.
func TestAnalyzeChaosDt(t *testing.T) {
	x := make([]float64, 2000)
	v := 0.1234567
	for i := range x {
		v = 4 * v * (1 - v)
		x[i] = v
	}
	code, out, se := call(t, "analyze chaos", seriesText(x), "--dt", "0.1", "-")
	if code != 0 {
		t.Fatalf("code %d: %s", code, se)
	}
	want := math.Ln2 / 0.1
	if l := out["lyapunov_max"].(float64); math.Abs(l-want)/want > 0.10 || out["dt"].(float64) != 0.1 {
		t.Errorf("lyapunov_max %v, want %v ± 10%%: %v", l, want, out)
	}
	if ps := out["lyapunov_per_sample"].(float64); math.Abs(ps-math.Ln2)/math.Ln2 > 0.10 {
		t.Errorf("per sample %v", ps)
	}
}

func TestAnalyzeChaosPeriodicAndPlot(t *testing.T) {
	x := make([]float64, 600)
	for i := range x {
		ph := 2 * math.Pi * float64(i) / 20
		x[i] = math.Sin(ph) + 0.3*math.Sin(3*ph)
	}
	dir := t.TempDir()
	png := filepath.Join(dir, "chaos.png")
	code, out, se := call(t, "analyze chaos", seriesText(x), "--dt", "0.5", "--dim", "3", "--delay", "5", "--theiler", "20", "--plot", png, "-")
	if code != 0 {
		t.Fatalf("code %d: %s", code, se)
	}
	if out["attractor"] != "limit_cycle" || math.Abs(out["period"].(float64)-20) > 0.05 || math.Abs(out["period_time"].(float64)-10) > 0.025 {
		t.Fatalf("%v", out)
	}
	if out["embedding_dimension"].(float64) != 3 || out["delay"].(float64) != 5 || out["theiler"].(float64) != 20 {
		t.Fatalf("flags not honoured: %v", out)
	}
	// |λ| near 0: far less than one e-fold per period (10 time units).
	if l := out["lyapunov_max"].(float64); math.Abs(l)*10 > 0.1 {
		t.Errorf("lyapunov_max %v", l)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10000 {
		t.Fatalf("plot: %d bytes, %v", len(b), err)
	}
}

func TestAnalyzeChaosErrors(t *testing.T) {
	dir := t.TempDir()
	many := func(s string, n int) string { return strings.Repeat(s+"\n", n) }
	cases := []struct {
		name, content string
		args          []string
		code          int
		msg           string
	}{
		{"short", many("1.5", 20) + many("2", 20), nil, 1, "too short: 40 values, need at least 100"},
		{"constant", many("3.25", 300), nil, 1, "constant series"},
		{"nan", "1\n2\nNaN\n" + many("4", 200), nil, 1, "nan:3: value \"NaN\" is not finite"},
		{"inf", "1\n-Inf\n", nil, 1, "inf:2"},
		{"word", "1\n2\n\nabc\n", nil, 1, "word:4: \"abc\" is not a number"},
		{"empty", "", nil, 1, "empty input"},
		{"baddt", "1\n", []string{"--dt", "0"}, 2, "--dt must be a positive number"},
		{"baddim", "1\n", []string{"--dim", "-2"}, 2, "--dim must be"},
	}
	for _, c := range cases {
		f := writeFile(t, dir, c.name, c.content)
		args := append(append([]string{}, c.args...), f)
		code, _, se := call(t, "analyze chaos", "", args...)
		if code != c.code || !strings.Contains(se, c.msg) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", c.name, code, se, c.code, c.msg)
		}
	}
	if code, _, _ := call(t, "analyze chaos", ""); code != 2 {
		t.Errorf("no file: code %d", code)
	}
	if code, _, se := call(t, "analyze chaos", "", filepath.Join(dir, "missing.txt")); code != 1 || !strings.Contains(se, "missing.txt") {
		t.Errorf("missing file: %d %q", code, se)
	}
}
