package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func call(t *testing.T, name string, stdin string, args ...string) (code int, out map[string]any, stderr string) {
	t.Helper()
	var so, se bytes.Buffer
	code = commands[name].run(context.Background(), args, strings.NewReader(stdin), &so, &se)
	if code == 0 {
		if err := json.Unmarshal(so.Bytes(), &out); err != nil {
			t.Fatalf("output %q is not JSON: %v", so.String(), err)
		}
	}
	return code, out, se.String()
}

func lines(x ...string) string { return strings.Join(x, "\n") + "\n" }

// Golden values from the dtaidistance documentation (REFERENCES.md), 4 decimals.
func TestAnalyzeCompareDTW(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", lines("0", "1", "2", "0", "0", "0", "0", "0", "0"))
	b := writeFile(t, dir, "b.txt", lines("0", "0", "1", "2", "1", "0", "1", "0", "0"))
	code, out, se := call(t, "analyze compare", "", "--algo", "dtw", a, b)
	if code != 0 || out["algorithm"] != "dtw" || math.Abs(out["distance"].(float64)-1.4142) > 5e-5 {
		t.Fatalf("code %d out %v stderr %s", code, out, se)
	}
	// B from stdin, with --path.
	code, out, se = call(t, "analyze compare", lines("0", "0", "1", "2", "1", "0", "1", "0", "0"), "--algo", "dtw", "--path", a, "-")
	if code != 0 || math.Abs(out["distance"].(float64)-1.4142) > 5e-5 {
		t.Fatalf("stdin: code %d out %v stderr %s", code, out, se)
	}
	p := out["path"].([]any)
	first, last := p[0].([]any), p[len(p)-1].([]any)
	if first[0].(float64) != 0 || first[1].(float64) != 0 || last[0].(float64) != 8 || last[1].(float64) != 8 {
		t.Fatalf("path %v", p)
	}
	// Absolute cost with a window: |differences| along the best path within band 1.
	code, out, _ = call(t, "analyze compare", "", "--algo", "dtw", "--cost", "abs", "--window", "0", a, b)
	// With window 0 the path is the diagonal: sum |a_i - b_i| = 0+1+1+2+1+0+1+0+0 = 6.
	if code != 0 || out["distance"].(float64) != 6 || out["cost"] != "abs" {
		t.Fatalf("abs window 0: %d %v", code, out)
	}
	code, out, _ = call(t, "analyze compare", "", "--algo", "euclidean", a, b)
	// sqrt(0+1+1+4+1+0+1+0+0) = sqrt(8)
	if code != 0 || math.Abs(out["distance"].(float64)-math.Sqrt(8)) > 1e-12 {
		t.Fatalf("euclidean: %d %v", code, out)
	}
}

func TestAnalyzeCompareTokens(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", lines("the", "cat", "sat", "on", "the", "mat"))
	b := writeFile(t, dir, "b.txt", lines("the", "dog", "sat", "on", "a", "mat"))
	code, out, se := call(t, "analyze compare", "", "--algo", "lcs", "--path", a, b)
	if code != 0 || out["lcs_length"].(float64) != 4 || out["distance"].(float64) != 4 {
		t.Fatalf("lcs: %d %v %s", code, out, se)
	}
	if sub := out["subsequence"].([]any); len(sub) != 4 || sub[1] != "sat" {
		t.Fatalf("subsequence %v", sub)
	}
	code, out, _ = call(t, "analyze compare", "", "--algo", "edit", a, b)
	if code != 0 || out["distance"].(float64) != 2 {
		t.Fatalf("edit: %d %v", code, out)
	}
	if _, ok := out["lcs_length"]; ok {
		t.Fatal("lcs_length present for edit")
	}
}

func TestAnalyzeCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", lines("1", "2", "3"))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"non-numeric", []string{"--algo", "dtw", writeFile(t, dir, "nn.txt", lines("1", "2", "x")), good}, "nn.txt:3: \"x\" is not a number"},
		{"NaN", []string{"--algo", "dtw", good, writeFile(t, dir, "nan.txt", lines("1", "NaN"))}, "nan.txt:2: value \"NaN\" is not finite"},
		{"empty", []string{"--algo", "dtw", writeFile(t, dir, "empty.txt", ""), good}, "empty.txt: empty input"},
		{"mismatch", []string{"--algo", "euclidean", good, writeFile(t, dir, "two.txt", lines("1", "2"))}, "two.txt has 2"},
		{"missing", []string{"--algo", "dtw", filepath.Join(dir, "nope.txt"), good}, "nope.txt"},
		{"algo", []string{"--algo", "foo", good, good}, "--algo must be"},
		{"cost", []string{"--cost", "cube", good, good}, "--cost must be"},
		{"two stdin", []string{"-", "-"}, "only one of A and B"},
		{"window euclid", []string{"--algo", "euclidean", "--window", "3", good, good}, "dtw only"},
	}
	for _, c := range cases {
		code, _, se := call(t, "analyze compare", "", c.args...)
		if code == 0 || !strings.Contains(se, c.want) {
			t.Errorf("%s: code %d, stderr %q, want %q", c.name, code, se, c.want)
		}
	}
	if code, _, _ := call(t, "analyze compare", "", "--algo", "dtw", good); code != 2 {
		t.Errorf("one file: code %d, want 2", code)
	}
}

func ucrDir(t *testing.T) string {
	for _, d := range []string{"../../../shared/datasets/ucr", "/work/shared/datasets/ucr"} {
		if _, err := os.Stat(filepath.Join(d, "GunPoint_TRAIN.ts")); err == nil {
			return d
		}
	}
	t.Skip("UCR data not available")
	return ""
}

// GunPoint published 1-NN error rates (UCR archive 2018, datasets/ucr/README.md): Euclidean
// 0.0867, DTW full 0.0933 (13 and 14 of 150 misclassified).
func TestAnalyzeClassify(t *testing.T) {
	d := ucrDir(t)
	train, test := filepath.Join(d, "GunPoint_TRAIN.ts"), filepath.Join(d, "GunPoint_TEST.ts")
	for _, c := range []struct {
		algo    string
		rate    float64
		correct float64
	}{{"euclidean", 0.0867, 137}, {"dtw", 0.0933, 136}} {
		code, out, se := call(t, "analyze classify", "", "--algo", c.algo, "--train", train, "--test", test)
		if code != 0 || math.Abs(out["error_rate"].(float64)-c.rate) > 5e-5 || out["correct"].(float64) != c.correct || out["total"].(float64) != 150 {
			t.Fatalf("%s: code %d out %v stderr %s", c.algo, code, out, se)
		}
	}
	bad := writeFile(t, t.TempDir(), "bad.ts", "@data\n1,2,3:a\n1,zz:a\n")
	code, _, se := call(t, "analyze classify", "", "--train", bad, "--test", test)
	if code == 0 || !strings.Contains(se, "bad.ts:3:") {
		t.Fatalf("bad file: code %d stderr %q", code, se)
	}
	if code, _, _ := call(t, "analyze classify", "", "--train", train); code != 2 {
		t.Fatalf("missing --test: code %d", code)
	}
}
