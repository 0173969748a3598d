package verifier_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/ltl"
	"github.com/midstream/midstream/pkg/rules"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/verifier"
)

func demoSeed() map[string][]byte {
	return map[string][]byte{verifier.KeyProps: verifier.DemoProps(), verifier.KeyPolicies: verifier.DemoPolicies}
}

// firstTrue returns the index of the first chunk at which proposition name holds, computed by
// pkg/rules directly (the reference for where the verifier must report).
func firstTrue(t *testing.T, set *rules.Set, name string, chunks []wire.Chunk) int {
	t.Helper()
	i, ok := set.Index(name)
	if !ok {
		t.Fatalf("no proposition %s", name)
	}
	st := set.NewStream()
	var v rules.Valuation
	for k := range chunks {
		c := chunks[k]
		c.Seq = uint64(k)
		c.Final = k == len(chunks)-1
		var err error
		if v, err = st.Next(v, &c); err != nil {
			t.Fatal(err)
		}
		if v.Has(i) {
			return k
		}
	}
	return -1
}

func TestPIIStoppedAtOffendingChunk(t *testing.T) {
	h := startHarness(t, demoSeed())
	r := rand.New(rand.NewPCG(1, 1))
	chunks := proseChunks(r, 10)
	email := " reach me at jane.doe@example.com any time "
	for len(email) > 0 {
		n := min(len(email), 4)
		chunks = append(chunks, wire.Chunk{Text: email[:n]})
		email = email[n:]
	}
	chunks = append(chunks, proseChunks(r, 10)...)
	want := firstTrue(t, h.a.Props(), "pii_email", chunks)
	if want < 10 {
		t.Fatalf("reference: e-mail at chunk %d", want)
	}
	normal := proseChunks(r, 60)
	h.send("pii", &wire.Meta{Policy: "default"}, chunks, 10*time.Millisecond)
	h.send("normal", &wire.Meta{Policy: "default"}, normal, 10*time.Millisecond)
	h.settle()

	vs := h.verdictsOf("pii", "no_email")
	if len(vs) != 1 || vs[0].Status != verifier.StatusFalse || vs[0].Seq != uint64(want) || vs[0].Action != verifier.ActionStop {
		t.Fatalf("no_email verdicts %+v, want one false at seq %d with stop", vs, want)
	}
	ev := evidenceOf(t, vs[0])
	ce := ev.Counterexample
	if ce == nil || ce.AtSeq != uint64(want) || ce.At != want || ev.Formula != "G !pii_email" || ev.Final {
		t.Fatalf("evidence %+v", ev)
	}
	// The minimal slice of G !pii_email violated at `want` is that one event with pii_email true.
	if len(ce.Slice) != 1 || ce.Slice[0].Seq != uint64(want) || !ce.Slice[0].Atoms["pii_email"] {
		t.Fatalf("counterexample slice %+v", ce.Slice)
	}
	acts := h.actionsOf("pii")
	if len(acts) != 1 || acts[0].Type != wire.ActionStop || acts[0].Seq != uint64(want) || acts[0].Rule != "no_email" {
		t.Fatalf("actions %+v", acts)
	}
	// Ordinary prose: no action, no false verdict; every rule judged true at the final chunk.
	if a := h.actionsOf("normal"); len(a) != 0 {
		t.Fatalf("actions on prose: %+v", a)
	}
	nv := h.verdictsOf("normal", "")
	if len(nv) != h.a.NumRules("default") {
		t.Fatalf("prose: %d verdicts, want one per rule (%d): %+v", len(nv), h.a.NumRules("default"), nv)
	}
	for _, v := range nv {
		if v.Status != verifier.StatusTrue || v.Seq != uint64(len(normal)-1) || !evidenceOf(t, v).Final {
			t.Fatalf("prose verdict %+v", v)
		}
	}
}

func TestToolCallDecidedAtFinal(t *testing.T) {
	h := startHarness(t, demoSeed())
	r := rand.New(rand.NewPCG(2, 2))
	broken := append(proseChunks(r, 5),
		wire.Chunk{ToolCalls: []wire.ToolCallDelta{{Index: 0, ID: "call_1", Name: "lookup_order"}}},
		wire.Chunk{ToolCalls: []wire.ToolCallDelta{{Index: 0, Arguments: `{"order_id": "A-`}}},
		wire.Chunk{FinishReason: "tool_calls"},
	)
	good := append(proseChunks(r, 5),
		wire.Chunk{ToolCalls: []wire.ToolCallDelta{{Index: 0, ID: "call_2", Name: "lookup_order"}}},
		wire.Chunk{ToolCalls: []wire.ToolCallDelta{{Index: 0, Arguments: `{"order_id": "A-1"}`}}},
		wire.Chunk{FinishReason: "tool_calls"},
	)
	h.send("broken", &wire.Meta{}, broken, time.Millisecond)
	h.send("good", &wire.Meta{}, good, time.Millisecond)
	h.settle()
	final := uint64(len(broken) - 1)
	// Before the final chunk the rule is undecided: presumably false from the call's start.
	vs := h.verdictsOf("broken", "tool_calls_complete")
	if len(vs) != 2 || vs[0].Status != verifier.StatusPresumablyFalse || vs[0].Seq != 5 ||
		vs[1].Status != verifier.StatusFalse || vs[1].Seq != final || vs[1].Action != verifier.ActionFlag {
		t.Fatalf("tool_calls_complete verdicts %+v", vs)
	}
	ev := evidenceOf(t, vs[1])
	if !ev.Final || ev.Counterexample == nil || ev.Counterexample.AtSeq != final {
		t.Fatalf("evidence %+v", ev)
	}
	acts := h.actionsOf("broken")
	found := false
	for _, a := range acts {
		if a.Rule == "tool_calls_complete" && a.Type == wire.ActionFlag && a.Seq == final {
			found = true
		}
		if a.Type == wire.ActionStop {
			t.Fatalf("stop on a broken tool call: %+v", a)
		}
	}
	if !found {
		t.Fatalf("no flag at the final chunk: %+v", acts)
	}
	for _, v := range h.verdictsOf("good", "") {
		if v.Status == verifier.StatusFalse {
			t.Fatalf("complete tool call judged false: %+v", v)
		}
	}
	if a := h.actionsOf("good"); len(a) != 0 {
		t.Fatalf("actions on a complete tool call: %+v", a)
	}
}

func TestForecastConfidence(t *testing.T) {
	rule := verifier.RuleSpec{ID: "answered", Formula: "G(refusal -> F disclaimer)"}
	h := startHarness(t, map[string][]byte{verifier.KeyPolicies: policiesDoc(t, rule)},
		verifier.WithForecast(verifier.ForecastOptions{RefitEvery: 8}))
	r := rand.New(rand.NewPCG(3, 3))
	response := func(disclaimer bool) []wire.Chunk {
		c := append(proseChunks(r, 3), wire.Chunk{Text: " I cannot help with that"})
		c = append(c, proseChunks(r, 3)...)
		if disclaimer {
			c = append(c, wire.Chunk{Text: " this is not legal advice"})
		}
		return append(c, proseChunks(r, 2)...)
	}
	// 16 past responses: 12 never add the disclaimer (violated), 4 do.
	for i := range 16 {
		h.send(fmt.Sprintf("train-%d", i), &wire.Meta{}, response(i%4 == 0), time.Millisecond)
	}
	h.settle()
	bustest.Eventually(t, 20*time.Second, func() bool {
		st, ok := h.a.Forecast("default", "answered")
		return ok && st.Traces == 16
	}, "forecast not fitted on the 16 traces")
	h.send("live", &wire.Meta{}, response(false), time.Millisecond)
	h.settle()
	vs := h.verdictsOf("live", "answered")
	if len(vs) != 2 || vs[0].Status != verifier.StatusPresumablyFalse || vs[0].Seq != 3 || vs[1].Status != verifier.StatusFalse {
		t.Fatalf("verdicts %+v", vs)
	}
	ev := evidenceOf(t, vs[0])
	f := ev.Forecast
	if f == nil || !f.Known || f.ModelTraces != 16 || f.Traces != 16 {
		t.Fatalf("forecast evidence %+v", f)
	}
	// All 16 traces pass through the state after the refusal; 12 of them end violated. The
	// chain's estimate there is the smoothed share of violations among traces leaving it, so
	// it must lie strictly between the 4-of-16 and the all-violated extremes, near 12/16.
	if f.PViolation < 0.6 || f.PViolation > 0.9 || vs[0].Confidence != f.PViolation || vs[0].Score != f.PViolation {
		t.Fatalf("P(violation) %v, confidence %v (want about 12/16)", f.PViolation, vs[0].Confidence)
	}
	if !strings.Contains(vs[0].Reason, "presumably violated") {
		t.Fatalf("reason %q", vs[0].Reason)
	}
}

func TestLivePolicyUpdate(t *testing.T) {
	h := startHarness(t, map[string][]byte{verifier.KeyPolicies: policiesDoc(t,
		verifier.RuleSpec{ID: "no_refusal", Formula: "G !refusal", Action: "flag"})})
	r := rand.New(rand.NewPCG(4, 4))
	v0 := h.a.Version()
	// Response "old" starts under version 1 ...
	old := append(proseChunks(r, 3), wire.Chunk{Text: " I cannot help with"}, wire.Chunk{Text: " not legal advice"})
	h.sendRange("old", old, 0, 2, time.Millisecond)
	h.settle()
	h.put(verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "no_disclaimer", Formula: "G !disclaimer", Action: "flag"}))
	bustest.Eventually(t, 10*time.Second, func() bool { return h.a.Version() == v0+1 }, "update not applied")
	// ... and finishes under it, while "new" runs under version 2.
	h.sendRange("old", old, 2, len(old), time.Millisecond)
	h.send("new", &wire.Meta{}, old, time.Millisecond)
	h.settle()
	if vs := h.verdictsOf("old", ""); len(vs) != 1 || vs[0].Rule != "no_refusal" || vs[0].Status != verifier.StatusFalse || vs[0].Seq != 3 {
		t.Fatalf("old response: %+v", vs)
	}
	if vs := h.verdictsOf("new", ""); len(vs) != 1 || vs[0].Rule != "no_disclaimer" || vs[0].Status != verifier.StatusFalse || vs[0].Seq != 4 {
		t.Fatalf("new response: %+v", vs)
	}
}

func TestBadPolicyRejected(t *testing.T) {
	good := policiesDoc(t, verifier.RuleSpec{ID: "no_email", Formula: "G !pii_email", Action: "stop"})
	h := startHarness(t, map[string][]byte{verifier.KeyPolicies: good})
	v0 := h.a.Version()
	h.put(verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "broken", Formula: "G (!pii_email", Action: "stop"}))
	h.put(verifier.KeyPolicies, []byte(`{"policies": {"default": {"rules": [{"id": "x", "formula": "G !nonexistent"}]}}}`))
	// A marker update after the bad ones: once it is applied, both bad ones were seen.
	marker := policiesDoc(t, verifier.RuleSpec{ID: "no_email", Formula: "G !pii_email", Action: "stop"},
		verifier.RuleSpec{ID: "no_card", Formula: "G !pii_card", Action: "stop"})
	h.put(verifier.KeyPolicies, marker)
	bustest.Eventually(t, 10*time.Second, func() bool { return h.a.Version() > v0 }, "marker not applied")
	if h.a.Version() != v0+1 || h.a.NumRules("default") != 2 {
		t.Fatalf("version %d (from %d), %d rules: a bad policy was applied", h.a.Version(), v0, h.a.NumRules("default"))
	}
}

func TestConfigureErrors(t *testing.T) {
	a, err := verifier.New(verifier.WithLimits(verifier.Limits{MaxRules: 3, MaxFormulaSize: 10, MaxProps: 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Wait()
	good := policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G !pii_email"})
	if err := a.Configure(verifier.KeyPolicies, good); err != nil {
		t.Fatal(err)
	}
	many := policiesDoc(t, manyRules(4)...)
	for _, tc := range []struct {
		name, key string
		value     []byte
		want      []error
	}{
		{"syntax", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G (!x"}), []error{ltl.ErrSyntax}},
		{"rules", verifier.KeyPolicies, many, []error{verifier.ErrTooLarge}},
		{"size", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G(a -> F(b & X(c | d) & e U f))"}), []error{verifier.ErrTooLarge}},
		{"atom", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G !nope"}), []error{verifier.ErrUnknownAtom, rules.ErrUnknownProp}},
		{"action", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G !final", Action: "kill"}), nil},
		{"id", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a b", Formula: "G !final"}), nil},
		{"dup", verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "a", Formula: "G !final"}, verifier.RuleSpec{ID: "a", Formula: "G final"}), nil},
		{"json", verifier.KeyPolicies, []byte(`{"policies": {"default": {"rules": [], "extra": 1}}}`), nil},
		{"default", verifier.KeyPolicies, []byte(`{"default": "strict", "policies": {"default": {"rules": []}}}`), nil},
		{"props", verifier.KeyProps, verifier.DemoProps(), []error{verifier.ErrTooLarge}},
		{"props syntax", verifier.KeyProps, []byte(`{"props": [{"name": "x", "kind": "nope"}]}`), []error{rules.ErrInvalid}},
		{"props drop", verifier.KeyProps, []byte(`{"props": [{"name": "final", "kind": "final"}]}`), []error{verifier.ErrUnknownAtom}},
		{"key", "nope", []byte(`{}`), []error{verifier.ErrUnknownKey}},
	} {
		err := a.Configure(tc.key, tc.value)
		if !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", tc.name, err)
		}
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: err %v, want %v", tc.name, err, w)
			}
		}
		var ce *verifier.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *ConfigError", tc.name, err)
		}
		if a.Version() != 1 || a.NumRules("") != 1 {
			t.Fatalf("%s: configuration changed by a rejected value", tc.name)
		}
	}
	// A props set that lacks an atom waits for policies that do not need it, and the reverse.
	if err := a.Configure(verifier.KeyProps, []byte(`{"props": [{"name": "final", "kind": "final"}]}`)); err == nil {
		t.Fatal("props without pii_email accepted under a policy that uses it")
	}
	if err := a.Configure(verifier.KeyPolicies, policiesDoc(t, verifier.RuleSpec{ID: "end", Formula: "F final"})); err != nil {
		t.Fatal(err)
	}
	if a.Props().Len() != 1 {
		t.Fatalf("pending props not applied with the policies that fit it: %d props", a.Props().Len())
	}
}

// Test1000Rules runs 1,000 rules on one response and checks every rule's definitive verdict
// against a plain ltl.Monitor fed the same propositions.
func Test1000Rules(t *testing.T) {
	specs := manyRules(1000)
	h := startHarness(t, map[string][]byte{verifier.KeyPolicies: policiesDoc(t, specs...)},
		verifier.WithSessionLimits(verifier.SessionLimits{MaxExplainPerChunk: -1}))
	r := rand.New(rand.NewPCG(5, 5))
	chunks := proseChunks(r, 40)
	chunks[10].Text += " I cannot help with"
	chunks[20].ToolCalls = []wire.ToolCallDelta{{Index: 0, Name: "f", Arguments: `{"a": 1}`}}
	chunks[30].Text += " not financial advice"
	gap := 700 * time.Millisecond // slow_chunk at every chunk but the first; timed bounds matter
	h.send("many", &wire.Meta{}, chunks, gap)
	h.settle()

	// Reference: one ltl.Monitor per rule over the same valuations and times.
	set := rules.Default()
	st := set.NewStream()
	vals := make([]rules.Valuation, len(chunks))
	for k := range chunks {
		c := chunks[k]
		c.Seq, c.Final = uint64(k), k == len(chunks)-1
		c.Time = time.Unix(0, 0).Add(time.Duration(k) * gap)
		if k == len(chunks)-1 {
			c.FinishReason = "stop"
		}
		v, err := st.Next(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		vals[k] = v
	}
	got := map[string]wire.Verdict{}
	for _, v := range h.verdictsOf("many", "") {
		if v.Status == verifier.StatusTrue || v.Status == verifier.StatusFalse {
			if _, dup := got[v.Rule]; dup {
				t.Fatalf("two definitive verdicts for %s", v.Rule)
			}
			got[v.Rule] = v
		}
	}
	if len(got) != len(specs) {
		t.Fatalf("%d definitive verdicts, want %d", len(got), len(specs))
	}
	falses := 0
	for _, sp := range specs {
		c := ltl.MustCompile(sp.Formula)
		idx, err := set.Lookup(c.Atoms())
		if err != nil {
			t.Fatal(err)
		}
		m := c.NewMonitor()
		wantSeq := -1
		for k, v := range vals {
			m.StepAt(ltl.Valuation(v.Project(idx)), time.Duration(k)*gap)
			if m.Verdict().Definitive() && wantSeq < 0 {
				wantSeq = k
			}
		}
		want := verifier.StatusFalse
		if m.Holds() {
			want = verifier.StatusTrue
		}
		if wantSeq < 0 {
			wantSeq = len(chunks) - 1
		}
		g := got[sp.ID]
		if g.Status != want || g.Seq != uint64(wantSeq) {
			t.Fatalf("%s (%s): got %s at %d, want %s at %d", sp.ID, sp.Formula, g.Status, g.Seq, want, wantSeq)
		}
		if want == verifier.StatusFalse {
			falses++
		}
	}
	if falses == 0 || falses == len(specs) {
		t.Fatalf("%d of %d rules false: the test does not discriminate", falses, len(specs))
	}
}
