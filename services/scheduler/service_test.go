package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/micro"
)

// checkAccounting asserts that every chunk of every response is either in WORK once or shed
// with one verdict, never both, that WORK holds each response's chunks in increasing order,
// and that chunk 0 and the final chunk always reach WORK.
func checkAccounting(t *testing.T, h *harness, lengths map[string]int) (released, shed int) {
	t.Helper()
	work, _ := workSeqs(t, h.env.JS)
	verd, _ := shedVerdicts(t, h.env.JS)
	for id, n := range lengths {
		w, v := work[id], verd[id]
		if !slices.IsSorted(w) {
			t.Errorf("%s: WORK order %v", id, w)
		}
		seen := map[uint64]int{}
		for _, s := range w {
			seen[s]++
		}
		for _, s := range v {
			seen[s] += 100
		}
		for s := range uint64(n) {
			if seen[s] != 1 && seen[s] != 100 {
				t.Errorf("%s seq %d: released %d times, shed %d times", id, s, seen[s]%100, seen[s]/100)
			}
		}
		if len(seen) != n {
			t.Errorf("%s: %d distinct seqs accounted for, want %d", id, len(seen), n)
		}
		if seen[0] != 1 || seen[uint64(n-1)] != 1 {
			t.Errorf("%s: chunk 0 or the final chunk did not reach WORK (%d, %d)", id, seen[0], seen[uint64(n-1)])
		}
		released += len(w)
		shed += len(v)
	}
	return released, shed
}

func TestOrderAndAccounting(t *testing.T) {
	cfg := sched.DefaultConfig()
	cfg.Classes[sched.Low].Limit = &sched.Rate{PerSecond: 500, Burst: 5}
	cfg.Classes[sched.Low].ShedAfter = 20 * time.Millisecond
	cfg.Classes[sched.Normal].Limit = &sched.Rate{PerSecond: 2000, Burst: 20}
	h := startService(t, WithConfig(cfg), WithBatch(7))
	r := rand.New(rand.NewPCG(1, 2))
	prios := []wire.Priority{wire.PriorityCritical, wire.PriorityHigh, wire.PriorityNormal, wire.PriorityLow, ""}
	lengths := map[string]int{}
	var all [][]wire.Chunk
	for i := range 30 {
		id := fmt.Sprintf("resp-%02d", i)
		n := 2 + r.IntN(40)
		lengths[id] = n
		all = append(all, response(id, n, &wire.Meta{Tenant: "t" + fmt.Sprint(i%3), Priority: prios[i%len(prios)], DeadlineMS: int64(10 + r.IntN(100))}))
	}
	// Interleave responses chunk by chunk, as concurrent gateways would.
	for k := 0; ; k++ {
		var batch []wire.Chunk
		for _, cs := range all {
			if k < len(cs) {
				batch = append(batch, cs[k])
			}
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			h.publish(t, c)
		}
	}
	h.settle(t, 20*time.Second)
	released, shed := checkAccounting(t, h, lengths)
	st := h.svc.Stats()
	var wantShed uint64
	for _, c := range st.Classes {
		wantShed += c.ShedTotal
	}
	if uint64(shed) != wantShed {
		t.Errorf("%d shed verdicts, stats say %d shed", shed, wantShed)
	}
	t.Logf("released %d, shed %d of %d", released, shed, h.sent)
	if released+shed != h.sent {
		t.Errorf("released %d + shed %d != sent %d", released, shed, h.sent)
	}
}

func TestRedeliveryStoredOnce(t *testing.T) {
	h := startService(t)
	cs := response("dup", 5, &wire.Meta{Priority: wire.PriorityHigh})
	h.publish(t, cs[:3]...)
	h.settle(t, 10*time.Second)
	// The gateway resends chunks 1 and 2 without a dedup id (a second CHUNKS message each),
	// then finishes the response and resends the final chunk too.
	raw := func(c wire.Chunk) []byte { b, _ := json.Marshal(c); return b }
	h.publishRaw(t, "dup", [][]byte{raw(cs[1]), raw(cs[2])}, nil)
	h.publish(t, cs[3:]...)
	h.publishRaw(t, "dup", [][]byte{raw(cs[4])}, nil)
	h.settle(t, 10*time.Second)
	work, _ := workSeqs(t, h.env.JS)
	if !slices.Equal(work["dup"], []uint64{0, 1, 2, 3, 4}) {
		t.Errorf("WORK holds %v, want 0..4 once each", work["dup"])
	}
	if d := h.svc.Stats().Service.Duplicates; d != 3 {
		t.Errorf("%d duplicates counted, want 3", d)
	}
}

func TestOverload(t *testing.T) {
	cfg := sched.DefaultConfig()
	cfg.Policy = sched.EDF
	// The analysers' capacity for low work is modelled by a tight rate; low is offered ~20×
	// more than it may release and sheds after waiting 100 ms (or when its deadline is lost).
	cfg.Classes[sched.Low].Limit = &sched.Rate{PerSecond: 100, Burst: 10}
	cfg.Classes[sched.Low].ShedAfter = 100 * time.Millisecond
	// High's deadline leaves room for CI machines running many -race packages at once (its p99
	// wait measured 10 ms without -race and 18–48 ms with -race on a loaded 2-core machine).
	cfg.Classes[sched.High].Budget = 200 * time.Millisecond
	h := startService(t, WithConfig(cfg))
	lengths := map[string]int{}
	var low, high [][]wire.Chunk
	for i := range 30 {
		id := fmt.Sprintf("low-%02d", i)
		lengths[id] = 40
		low = append(low, response(id, 40, &wire.Meta{Tenant: "bulk", Priority: wire.PriorityLow, DeadlineMS: 1000}))
	}
	for i := range 10 {
		id := fmt.Sprintf("high-%02d", i)
		lengths[id] = 40
		high = append(high, response(id, 40, &wire.Meta{Tenant: "vip", Priority: wire.PriorityHigh}))
	}
	for k := range 40 {
		for _, cs := range low {
			h.publish(t, cs[k])
		}
		for _, cs := range high {
			h.publish(t, cs[k])
		}
	}
	h.settle(t, 30*time.Second)
	st := h.svc.Stats()
	hi, lo := st.Classes[sched.High], st.Classes[sched.Low]
	t.Logf("high: released %d, p99 wait %.2f ms, misses %d; low: released %d, delayed %d, shed %d %v, p99 wait %.1f ms",
		hi.Released, hi.Wait.P99MS, hi.DeadlineMisses, lo.Released, lo.Delayed, lo.ShedTotal, lo.Shed, lo.Wait.P99MS)
	if hi.Released != 400 || hi.ShedTotal != 0 {
		t.Errorf("high: released %d shed %d, want 400 and 0", hi.Released, hi.ShedTotal)
	}
	// The quantile carries at most 6.25 % error (sched.HistRelErr); compare with the budget.
	if hi.Wait.P99MS*(1-sched.HistRelErr) > hi.BudgetMS {
		t.Errorf("high p99 wait %.2f ms exceeds its %v ms deadline", hi.Wait.P99MS, hi.BudgetMS)
	}
	if lo.ShedTotal < 600 || lo.Released == 0 {
		t.Errorf("low: released %d, shed %d; want it delayed and mostly shed", lo.Released, lo.ShedTotal)
	}
	_, shed := checkAccounting(t, h, lengths)
	if uint64(shed) != lo.ShedTotal {
		t.Errorf("%d shed verdicts for %d shed low chunks", shed, lo.ShedTotal)
	}
	_, verdicts := shedVerdicts(t, h.env.JS)
	for _, v := range verdicts {
		var ev ShedEvidence
		if err := json.Unmarshal(v.Evidence, &ev); err != nil || ev.Class != "low" || ev.Reason == "" || v.Kind != VerdictKind || v.Status != VerdictStatus {
			t.Fatalf("verdict %+v (evidence %s): want kind/status shed, class low and a reason", v, v.Evidence)
		}
	}
}

func TestBadInputFlowsAtDefaultClass(t *testing.T) {
	h := startService(t)
	raw := func(s string) []byte { return []byte(s) }
	h.publishRaw(t, "bad-class", [][]byte{
		raw(`{"stream":"bad-class","seq":0,"ts":"2026-01-01T00:00:00Z","text":"a","meta":{"priority":"urgent","deadline_ms":-5,"tenant":7}}`),
		raw(`{"stream":"bad-class","seq":1,"ts":"2026-01-01T00:00:00Z","text":"b","final":true}`),
	}, nil)
	h.publishRaw(t, "no-meta", [][]byte{raw(`{"stream":"no-meta","seq":0,"ts":"2026-01-01T00:00:00Z","text":"a"}`),
		raw(`{"stream":"no-meta","seq":1,"ts":"2026-01-01T00:00:00Z","final":true}`)}, nil)
	h.publishRaw(t, "absurd", [][]byte{raw(`{"stream":"absurd","seq":0,"ts":"2026-01-01T00:00:00Z","meta":{"priority":"low","deadline_ms":1e12}}`),
		raw(`{"stream":"absurd","seq":1,"ts":"2026-01-01T00:00:00Z","final":true}`)}, nil)
	// Unschedulable: not JSON, and a stream id that does not match the subject.
	h.publishRaw(t, "garbage", [][]byte{raw(`not json`), raw(`{"stream":"other","seq":0}`)}, nil)
	h.settle(t, 10*time.Second)
	work, class := workSeqs(t, h.env.JS)
	for id, want := range map[string]string{"bad-class": "normal", "no-meta": "normal", "absurd": "low"} {
		if !slices.Equal(work[id], []uint64{0, 1}) || class[id] != want {
			t.Errorf("%s: WORK %v class %q, want [0 1] at %s", id, work[id], class[id], want)
		}
	}
	st := h.svc.Stats().Service
	if st.BadInput["unknown_class"] != 1 || st.BadInput["bad_deadline"] != 2 || st.BadInput["bad_tenant"] != 1 || st.BadInput["missing_meta"] != 1 {
		t.Errorf("bad input counters %v", st.BadInput)
	}
	if st.Invalid != 2 {
		t.Errorf("%d dead-lettered, want 2", st.Invalid)
	}
	if dl := readAll(t, h.env.JS, bus.StreamDLQ, wire.DeadLetterSubject(Name)); len(dl) != 2 {
		t.Errorf("%d dead letters stored, want 2", len(dl))
	}
}

func TestLiveConfig(t *testing.T) {
	h := startService(t)
	ctx := context.Background()
	kv, err := h.env.JS.KeyValue(ctx, bus.BucketConfig)
	if err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) {
		if _, err := kv.PutString(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	applied := func() uint64 { return h.svc.Stats().Service.ConfigApplied }
	errs := func() uint64 { return h.svc.Stats().Service.ConfigErrors }
	put(KeyRatePrefix+"low", `{"per_second": 50, "burst": 5}`)
	bustest.Eventually(t, 5*time.Second, func() bool {
		l := h.svc.Stats().Classes[sched.Low].Limit
		return l != nil && l.PerSecond == 50 && l.Burst == 5
	}, "rate key not applied")
	n := applied()
	for _, bad := range []string{`{"per_second": 0, "burst": 5}`, `-3`, `{"per_second": 10, "burst": 0.5}`, `fast`} {
		put(KeyRatePrefix+"low", bad)
	}
	put(KeyRatePrefix+"urgent", "10")
	put(KeyPolicy, "fastest")
	put(KeyConfig, `{"policy":"fp","classes":[{},{},{},{"limit":{"per_second":-1,"burst":1}}]}`)
	bustest.Eventually(t, 5*time.Second, func() bool { return errs() == 7 }, "bad values not all rejected: %d", func() any { return errs() }())
	if l := h.svc.Stats().Classes[sched.Low].Limit; l == nil || l.PerSecond != 50 || applied() != n {
		t.Errorf("a bad value changed the configuration: %+v", l)
	}
	put(KeyConfig, `{"policy":"fp","classes":[{},{},{"budget":20000000},{"limit":{"per_second":7,"burst":2}}]}`)
	bustest.Eventually(t, 5*time.Second, func() bool {
		st := h.svc.Stats()
		return st.Policy == "fp" && st.Classes[sched.Normal].BudgetMS == 20 && st.Classes[sched.Low].Limit != nil && st.Classes[sched.Low].Limit.PerSecond == 7
	}, "scheduler.config not applied")
	put(KeyPolicy, `"llf"`)
	bustest.Eventually(t, 5*time.Second, func() bool { return h.svc.Stats().Policy == "llf" }, "policy key not applied")
	// Deleting the rate key restores the value from the options (unlimited).
	if err := kv.Delete(ctx, KeyRatePrefix+"low"); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, func() bool { return h.svc.Stats().Classes[sched.Low].Limit == nil }, "delete not applied")

	// A live rate change takes effect on the traffic: at 1/s with burst 1 a low response of
	// 5 chunks releases 1 and sheds the rest after 30 ms of waiting.
	put(KeyConfig, `{"classes":[{},{},{},{"shed_after":30000000,"limit":{"per_second":1,"burst":1}}]}`)
	bustest.Eventually(t, 5*time.Second, func() bool { return h.svc.Stats().Classes[sched.Low].Limit != nil }, "not applied")
	h.publish(t, response("slow", 5, &wire.Meta{Priority: wire.PriorityLow})...)
	h.settle(t, 10*time.Second)
	if lo := h.svc.Stats().Classes[sched.Low]; lo.ShedTotal == 0 {
		t.Errorf("low not shed under a 1/s rate: %+v", lo)
	}
}

func TestMicroEndpoints(t *testing.T) {
	h := startService(t)
	nc := h.env.Connect(t)
	h.publish(t, response("m", 3, &wire.Meta{Priority: wire.PriorityCritical})...)
	h.settle(t, 10*time.Second)
	msg, err := nc.Request(SubjectStats, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	if err := json.Unmarshal(msg.Data, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Classes) != 4 || st.Classes[0].Class != "critical" || st.Classes[0].Released != 3 || st.Policy != "edf" {
		t.Errorf("stats %+v", st)
	}
	msg, err = nc.Request(SubjectSetRate, []byte(`{"class":"low","per_second":25,"burst":3}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var sr SetRateResponse
	if err := json.Unmarshal(msg.Data, &sr); err != nil || sr.Limit == nil || sr.Limit.PerSecond != 25 || !sr.Persisted {
		t.Fatalf("set-rate answered %s (%v)", msg.Data, err)
	}
	kv, _ := h.env.JS.KeyValue(context.Background(), bus.BucketConfig)
	if e, err := kv.Get(context.Background(), KeyRatePrefix+"low"); err != nil || e == nil {
		t.Errorf("set-rate not persisted: %v", err)
	}
	for _, bad := range []string{`{"class":"low","per_second":0}`, `{"class":"low","per_second":-4,"burst":2}`, `{"class":"urgent","per_second":4}`, `nope`} {
		msg, err = nc.Request(SubjectSetRate, []byte(bad), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Header.Get(micro.ErrorCodeHeader) != CodeBadRequest {
			t.Errorf("set-rate %s: code %q, body %s", bad, msg.Header.Get(micro.ErrorCodeHeader), msg.Data)
		}
	}
	if l := h.svc.Stats().Classes[sched.Low].Limit; l == nil || l.PerSecond != 25 {
		t.Errorf("a bad request changed the rate: %+v", l)
	}
	// $SRV discovery.
	msg, err = nc.Request("$SRV.INFO."+Name, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var info micro.Info
	if err := json.Unmarshal(msg.Data, &info); err != nil || len(info.Endpoints) != 2 {
		t.Errorf("$SRV.INFO: %s", msg.Data)
	}
}

func TestAdmissionRejectShedsWithForcedEnds(t *testing.T) {
	cfg := sched.DefaultConfig()
	cfg.Admission = sched.AdmissionConfig{Enabled: true, NoDegrade: true}
	// One chunk costs 1 s every 50 ms: U = 20 > 1, so EDF's test refuses any high response.
	cfg.Classes[sched.High].Cost = time.Second
	h := startService(t, WithConfig(cfg))
	h.publish(t, response("rej", 5, &wire.Meta{Priority: wire.PriorityHigh})...)
	h.settle(t, 10*time.Second)
	released, shed := checkAccounting(t, h, map[string]int{"rej": 5})
	if released != 2 || shed != 3 {
		t.Errorf("released %d shed %d, want chunk 0 and the final chunk forwarded and 3 shed", released, shed)
	}
	for _, m := range readAll(t, h.env.JS, bus.StreamWork, wire.WorkWildcard) {
		if m.Headers().Get(HeaderForced) != ReasonRejected {
			t.Errorf("%s: %s = %q", m.Subject(), HeaderForced, m.Headers().Get(HeaderForced))
		}
	}
	_, vs := shedVerdicts(t, h.env.JS)
	for _, v := range vs {
		var ev ShedEvidence
		_ = json.Unmarshal(v.Evidence, &ev)
		if ev.Reason != ReasonRejected || ev.Class != "high" {
			t.Errorf("verdict %+v", v)
		}
	}
	st := h.svc.Stats()
	if c := st.Classes[sched.High]; c.Forced != 2 || c.ShedTotal != 3 || c.Rejected != 1 {
		t.Errorf("high stats %+v", c)
	}
}
