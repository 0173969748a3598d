package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/services/metalearn"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = dispatch(context.Background(), args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestFeedbackCommandValidates(t *testing.T) {
	for _, args := range [][]string{
		{"feedback"},
		{"feedback", "s1", "--analyser", "verifier", "--label", "maybe"},
		{"feedback", "bad.stream", "--analyser", "verifier", "--label", "true_positive"},
		{"feedback", "s1", "--label", "true_positive"},
		{"feedback", "s1", "s2", "--analyser", "verifier", "--label", "true_positive"},
	} {
		if code, _, stderr := runCLI(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
	for _, args := range [][]string{{"learn", "approve"}, {"learn", "approve", "abc"}, {"learn", "rollback", "0"}, {"learn", "status", "x"}} {
		if code, _, stderr := runCLI(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
}

func TestFeedbackAndLearnCommands(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	url := env.Server.ClientURL()

	// No metalearn yet: a clear error.
	if code, _, stderr := runCLI(t, "learn", "status", "--nats-url", url); code != 1 || !strings.Contains(stderr, "no metalearn service") {
		t.Fatalf("learn status without a service: exit %d, %q", code, stderr)
	}

	code, stdout, stderr := runCLI(t, "feedback", "s1", "--analyser", "verifier", "--rule", "pii", "--label", "false_positive", "--nats-url", url)
	if code != 0 {
		t.Fatalf("feedback: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "feedback stored") {
		t.Fatalf("stdout %q", stdout)
	}
	st, err := env.JS.Stream(context.Background(), bus.StreamFeedback)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.State.Msgs != 1 {
		t.Fatalf("FEEDBACK holds %+v (%v), want 1 message", info.State, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s, err := metalearn.New(ctx, env.NC, metalearn.WithoutKVTargets())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	bustest.Eventually(t, 10*time.Second, func() bool {
		code, _, _ := runCLI(t, "learn", "status", "--nats-url", url)
		return code == 0
	}, "metalearn did not answer")

	code, stdout, stderr = runCLI(t, "learn", "status", "--nats-url", url)
	var status map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &status) != nil || status["mode"] != "auto" {
		t.Fatalf("learn status: exit %d, %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "learn", "proposals", "--nats-url", url)
	var props metalearn.Proposals
	if code != 0 || json.Unmarshal([]byte(stdout), &props) != nil || len(props.Pending) != 0 {
		t.Fatalf("learn proposals: exit %d, %s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "learn", "approve", "999", "--nats-url", url); code != 1 || !strings.Contains(stderr, "404") {
		t.Fatalf("approve 999: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "learn", "reject", "7", "--reason", "no", "--nats-url", url); code != 1 || !strings.Contains(stderr, "404") {
		t.Fatalf("reject 7: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "learn", "rollback", "3", "--nats-url", url); code != 1 || !strings.Contains(stderr, "404") {
		t.Fatalf("rollback 3: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "learn", "audit", "--nats-url", url); code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("audit: exit %d, %q", code, stdout)
	}

	// The demo's section: a label for an unknown stream is counted as refused.
	var out bytes.Buffer
	metalearnSummary(context.Background(), nil, &out)
	if out.Len() != 0 {
		t.Fatalf("summary without a connection printed %q", out.String())
	}
	code, _, stderr = runCLI(t, "feedback", "s2", "--analyser", "verifier", "--rule", "pii", "--label", "true_positive", "--nats-url", url)
	if code != 0 {
		t.Fatal(stderr)
	}
	metalearnSummary(context.Background(), env.NC, &out)
	if !strings.Contains(out.String(), "metalearn (auto mode)") || !strings.Contains(out.String(), "1 unknown stream") {
		t.Fatalf("summary:\n%s", out.String())
	}
}
