package sched

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestNextAndExplicitTime: Next hands back shed items first, then releases; SubmitAt and
// DispatchAt take the caller's time and never let the scheduler's time go backwards.
func TestNextAndExplicitTime(t *testing.T) {
	cfg := overloadConfig()
	cfg.Capacity, cfg.ShedDepth = 2, 2
	s, clk := newTest[int](t, cfg)
	t0 := clk.Now()
	if err := s.SubmitAt(t0.Add(time.Second), Item[int]{Stream: "l", Class: Low, Payload: 1}); err != nil {
		t.Fatal(err)
	}
	// An earlier time than one already seen is taken as that time: the wait is not negative.
	if err := s.SubmitAt(t0, Item[int]{Stream: "n", Class: Normal, Payload: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitAt(t0, Item[int]{Stream: "h", Class: High, Payload: 3}); err != nil { // displaces l
		t.Fatal(err)
	}
	r, ok := s.Next()
	if !ok || r.Outcome != Shed || r.Reason != ReasonCapacity || r.Payload != 1 || r.Enqueued != t0.Add(time.Second) {
		t.Fatalf("first Next %+v", r)
	}
	r, ok = s.Next() // the clock says t0, but the scheduler has seen t0+1s
	if !ok || r.Payload != 3 || r.Wait != 0 {
		t.Fatalf("second Next %+v", r)
	}
	rs := s.DispatchAt(t0.Add(3*time.Second), nil, 5)
	if len(rs) != 1 || rs[0].Payload != 2 || rs[0].Wait != 2*time.Second {
		t.Fatalf("DispatchAt %+v", rs)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("Next on an empty scheduler")
	}
}

// TestWakeForBucket: with the class bucket empty, Wake points at its next token.
func TestWakeForBucket(t *testing.T) {
	cfg := quietConfig(EDF)
	cfg.Classes[Normal].Limit = &Rate{PerSecond: 10, Burst: 1}
	s, clk := newTest[int](t, cfg)
	t0 := clk.Now()
	mustSubmit(t, s, Item[int]{Stream: "a", Class: Normal})
	mustSubmit(t, s, Item[int]{Stream: "a", Seq: 1})
	if w, ok := s.Wake(); !ok || !w.Equal(t0) {
		t.Fatalf("Wake with a token: %v %v", w, ok)
	}
	if n := len(s.Dispatch(nil, 5)); n != 1 {
		t.Fatalf("released %d", n)
	}
	if w, ok := s.Wake(); !ok || !w.Equal(t0.Add(100*time.Millisecond)) {
		t.Fatalf("Wake without a token: %v", w.Sub(t0))
	}
}

// TestTenantTable: a full tenant table recycles tenants without open responses, else refuses.
func TestTenantTable(t *testing.T) {
	cfg := quietConfig(EDF)
	cfg.MaxTenants = 2
	s, _ := newTest[int](t, cfg)
	mustSubmit(t, s, Item[int]{Stream: "a", Tenant: "ta", Final: true})
	mustSubmit(t, s, Item[int]{Stream: "b", Tenant: "tb"})
	err := s.Submit(Item[int]{Stream: "c", Tenant: "tc"})
	var ce *CapacityError
	if !errors.Is(err, ErrCapacity) || !errors.As(err, &ce) || ce.Limit != 2 || !strings.Contains(err.Error(), "tenant") {
		t.Fatalf("third tenant: %v", err)
	}
	s.Dispatch(nil, 1) // a's final item: a closes, ta has no open responses left
	mustSubmit(t, s, Item[int]{Stream: "c", Tenant: "tc"})
	if st := s.Stats(); st.Tenants != 2 {
		t.Fatalf("%d tenants", st.Tenants)
	}
}

// TestErrorMessages: every error names what went wrong and matches its sentinel.
func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err      error
		sentinel error
		want     string
	}{
		{&QueueFullError{Stream: "s", Class: Low, Depth: 5, Capacity: 5}, ErrQueueFull, `scheduler queue at 5/5 (stream "s", class low)`},
		{&QueueFullError{Stream: "s", Depth: 3, Capacity: 3, PerResponse: true}, ErrQueueFull, "response queue"},
		{&InvalidError{Field: "f", Reason: "r"}, ErrInvalid, "invalid f: r"},
		{&ParseError{Kind: "policy", Value: "x"}, ErrUnknownPolicy, `unknown policy "x"`},
		{&ParseError{Kind: "class", Value: "x"}, ErrUnknownClass, `unknown priority class "x"`},
		{&RejectedError{Stream: "s", Admission: Admission{Reason: "edf utilisation: U = 1.2"}}, ErrRejected, "U = 1.2"},
		{&SeqError{Stream: "s", Seq: 1, Last: 4}, ErrOutOfOrder, "seq 1 is not after 4"},
		{&SeqError{Stream: "s", Seq: 1, Duplicate: true}, ErrDuplicate, "already queued"},
		{&CapacityError{What: "tenant", Limit: 3}, ErrCapacity, "3 entries"},
	} {
		if !errors.Is(tc.err, tc.sentinel) || !strings.Contains(tc.err.Error(), tc.want) || !strings.HasPrefix(tc.err.Error(), "sched: ") {
			t.Errorf("%v: want %q and %v", tc.err, tc.want, tc.sentinel)
		}
	}
	names := []string{Released.String(), Shed.String(), ReasonDepth.String(), Reason(99).String(), Admit.String(), Degrade.String(), Reject.String(), Policy(9).String()}
	if strings.Join(names, ",") != "released,shed,depth,reason(?),admit,degrade,reject,policy(9)" {
		t.Errorf("names %v", names)
	}
	var cs ClassStats
	cs.Shed[ReasonWait] = 3
	if cs.ShedCount(ReasonWait) != 3 || cs.ShedCount(Reason(200)) != 0 {
		t.Error("ShedCount")
	}
}
