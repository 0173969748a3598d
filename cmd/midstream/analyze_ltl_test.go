package main

import (
	"strings"
	"testing"
)

func TestAnalyzeLTLViolation(t *testing.T) {
	trace := lines(`{"pii": false}`, `{}`, `{"pii": true, "other": true}`, `{"pii": false}`)
	code, out, se := call(t, "analyze ltl", trace, "--formula", "G(!pii)", "-")
	if code != 0 {
		t.Fatalf("code %d: %s", code, se)
	}
	if out["formula"] != "G !pii" || out["verdict"] != false || out["decided_at"].(float64) != 2 {
		t.Fatalf("out %v", out)
	}
	online := out["online"].([]any)
	want := []string{"presumably_true", "presumably_true", "false", "false"}
	for i, w := range want {
		if online[i] != w {
			t.Fatalf("online %v, want %v", online, want)
		}
	}
	ce := out["counterexample"].(map[string]any)
	evs := ce["events"].([]any)
	if ce["index"].(float64) != 2 || ce["certain"] != true || len(evs) != 1 {
		t.Fatalf("counterexample %v", ce)
	}
	ev := evs[0].(map[string]any)
	if ev["index"].(float64) != 2 || ev["props"].(map[string]any)["pii"] != true {
		t.Fatalf("counterexample event %v", ev)
	}
}

func TestAnalyzeLTLTimed(t *testing.T) {
	dir := t.TempDir()
	// A tool call at 0.5 s answered at 3 s: later than the 2 s window.
	p := writeFile(t, dir, "trace.jsonl", lines(`{"t": 0, "call": false}`, `{"t": 0.5, "call": true}`, `{"t": 1.0}`, `{"t": 3.0, "tool_result": true}`))
	code, out, se := call(t, "analyze ltl", "", "--formula", "G(call -> F[0,2s] tool_result)", p)
	if code != 0 {
		t.Fatalf("code %d: %s", code, se)
	}
	if out["verdict"] != false || out["decided_at"].(float64) != 3 || out["formula"] != "G (call -> F[0,2s] tool_result)" {
		t.Fatalf("out %v", out)
	}
	// Answered in time: presumably true to the end, never decided (G can still break).
	code, out, _ = call(t, "analyze ltl", lines(`{"t": 0, "call": true}`, `{"t": 1.5, "tool_result": true}`), "--formula", "G(call -> F[0,2s] tool_result)", "-")
	if code != 0 || out["verdict"] != true || out["decided_at"] != nil || out["witness"] == nil {
		t.Fatalf("in time: %d %v", code, out)
	}
}

func TestAnalyzeLTLErrors(t *testing.T) {
	code, _, se := call(t, "analyze ltl", lines(`{}`), "--formula", "G (a & & b)", "-")
	if code == 0 || !strings.Contains(se, "column 8") || !strings.Contains(se, "^") {
		t.Fatalf("syntax error: code %d stderr %q", code, se)
	}
	for _, bad := range []string{`{"a": 1}`, `[true]`, `{"a": true} x`, `{"t": -1}`, `not json`} {
		if code, _, se := call(t, "analyze ltl", lines(bad), "--formula", "F a", "-"); code == 0 || !strings.Contains(se, "-:1") {
			t.Errorf("%s: code %d stderr %q", bad, code, se)
		}
	}
	if code, _, _ := call(t, "analyze ltl", lines(`{"t": 2}`, `{"t": 1}`), "--formula", "F a", "-"); code == 0 {
		t.Error("time going back accepted")
	}
	if code, _, _ := call(t, "analyze ltl", "", "--formula", "F a", "-"); code == 0 {
		t.Error("empty trace accepted")
	}
	if code, _, _ := call(t, "analyze ltl", "", "-"); code != 2 {
		t.Error("missing --formula accepted")
	}
}
