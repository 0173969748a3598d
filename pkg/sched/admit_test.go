package sched

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestLiuLaylandBound checks n(2^(1/n) − 1) against the values in REFERENCES.md (Liu &
// Layland, JACM 1973): 1.0, 0.8284, 0.7798, 0.7568, 0.7435 for n = 1..5 and ln 2 in the
// limit, to the 4 decimals quoted.
func TestLiuLaylandBound(t *testing.T) {
	for n, want := range map[int]float64{1: 1, 2: 0.8284, 3: 0.7798, 4: 0.7568, 5: 0.7435} {
		if got := LiuLaylandBound(n); math.Abs(got-want) > 5e-5 {
			t.Errorf("bound(%d) = %.6f, want %.4f", n, got, want)
		}
	}
	if got := LiuLaylandBound(1 << 20); math.Abs(got-math.Ln2) > 1e-6 {
		t.Errorf("bound(2^20) = %.8f, want ln 2", got)
	}
	if !Harmonic([]float64{10, 5, 20, 40}) || Harmonic([]float64{4, 10}) || !Harmonic([]float64{3}) || !Harmonic([]float64{5, 10.04}) {
		t.Error("Harmonic")
	}
}

func admissionConfig(p Policy) Config {
	c := quietConfig(p)
	c.Admission.Enabled = true
	return c
}

// TestAdmissionEDF: u = cost/period = 10 ms / 100 ms = 0.1 per response; ten fill U = 1.
func TestAdmissionEDF(t *testing.T) {
	for _, pol := range []Policy{EDF, LLF} {
		cfg := admissionConfig(pol)
		cfg.Classes[Normal].Cost = 10 * time.Millisecond
		cfg.Classes[Normal].Period = 100 * time.Millisecond
		s, _ := newTest[int](t, cfg)
		for i := 0; i < 10; i++ {
			a, err := s.Open(Response{Stream: fmt.Sprint("r", i), Class: Normal})
			if err != nil || a.Decision != Admit || a.Class != Normal {
				t.Fatalf("%v response %d: %+v %v", pol, i, a, err)
			}
		}
		a, _ := s.Open(Response{Stream: "r10", Class: Normal})
		if a.Decision != Degrade || a.Class != Low || !strings.Contains(a.Reason, "U = 1.1000 > 1.0000") {
			t.Fatalf("%v 11th: %+v", pol, a)
		}
		st := s.Stats()
		if st.Classes[Normal].AdmittedNow != 10 || math.Abs(st.Classes[Normal].Utilization-1) > 1e-9 ||
			st.Classes[Normal].DegradedOut != 1 || st.Classes[Low].DegradedIn != 1 {
			t.Fatalf("stats %+v", st.Classes[Normal])
		}
		// A finished response leaves the admitted set and makes room.
		s.Close("r3")
		if a, _ := s.Open(Response{Stream: "r11", Class: Normal}); a.Decision != Admit {
			t.Fatalf("after Close: %+v", a)
		}
		// With degradation off the answer is Reject, and Submit reports it as an error.
		cfg.Admission.NoDegrade = true
		if err := s.Reconfigure(cfg); err != nil {
			t.Fatal(err)
		}
		a, _ = s.Open(Response{Stream: "r12", Class: Normal})
		if a.Decision != Reject || a.Utilization <= a.Bound {
			t.Fatalf("NoDegrade: %+v", a)
		}
		err := s.Submit(Item[int]{Stream: "r13", Class: Normal})
		var re *RejectedError
		if !errors.Is(err, ErrRejected) || !errors.As(err, &re) || re.Admission.Decision != Reject {
			t.Fatalf("Submit of a rejected response: %v", err)
		}
		// Best-effort classes are not tested.
		if a, _ := s.Open(Response{Stream: "r14", Class: Low}); a.Decision != Admit {
			t.Fatalf("low: %+v", a)
		}
	}
}

// TestAdmissionRM uses the task sets of TestRMBelowLiuLaylandBound: (C 1, T 5) and (C 4, T 7)
// with U = 0.771 ≤ 0.8284 are admitted; (2, 5) and (4, 7) with U = 0.971 are not. Harmonic
// periods (5, 10) are admitted up to U = 1.
func TestAdmissionRM(t *testing.T) {
	open2 := func(c1 time.Duration, p2 time.Duration, c2 time.Duration) (Admission, Admission) {
		cfg := admissionConfig(RateMonotonic)
		cfg.Admission.NoDegrade = true
		cfg.Classes[High].Cost = c1
		cfg.Classes[Normal].Cost = c2
		s, _ := newTest[int](t, cfg)
		a1, err := s.Open(Response{Stream: "T1", Class: High, Period: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := s.Open(Response{Stream: "T2", Class: Normal, Period: p2})
		if err != nil {
			t.Fatal(err)
		}
		return a1, a2
	}
	a1, a2 := open2(time.Millisecond, 7*time.Millisecond, 4*time.Millisecond)
	if a1.Decision != Admit || a2.Decision != Admit || math.Abs(a2.Utilization-(0.2+4.0/7)) > 1e-9 || math.Abs(a2.Bound-0.828427) > 1e-6 {
		t.Errorf("below the bound: %+v %+v", a1, a2)
	}
	_, a2 = open2(2*time.Millisecond, 7*time.Millisecond, 4*time.Millisecond)
	if a2.Decision != Reject || !strings.Contains(a2.Reason, "Liu-Layland") {
		t.Errorf("above the bound: %+v", a2)
	}
	_, a2 = open2(2*time.Millisecond, 10*time.Millisecond, 6*time.Millisecond) // U = 0.4 + 0.6
	if a2.Decision != Admit || a2.Bound != 1 || !strings.Contains(a2.Reason, "harmonic") {
		t.Errorf("harmonic: %+v", a2)
	}
}

// TestAdmissionFixedPriority: a class is tested with the load of itself and the classes
// above; load below does not count.
func TestAdmissionFixedPriority(t *testing.T) {
	cfg := admissionConfig(FixedPriority)
	for c := range cfg.Classes {
		cfg.Classes[c].Cost = 10 * time.Millisecond
		cfg.Classes[c].Period = 100 * time.Millisecond
	}
	s, _ := newTest[int](t, cfg)
	for i := 0; i < 9; i++ {
		if a, _ := s.Open(Response{Stream: fmt.Sprint("n", i), Class: Normal}); a.Decision != Admit {
			t.Fatalf("normal %d: %+v", i, a)
		}
	}
	// Normal carries 0.9; high and critical see none of it.
	for i := 0; i < 10; i++ {
		if a, _ := s.Open(Response{Stream: fmt.Sprint("c", i), Class: Critical}); a.Decision != Admit {
			t.Fatalf("critical %d: %+v", i, a)
		}
	}
	// Now critical alone is at 1.0: high fails, normal fails, low is best effort.
	a, _ := s.Open(Response{Stream: "h", Class: High})
	if a.Decision != Degrade || a.Class != Low {
		t.Fatalf("high: %+v", a)
	}
}

// TestAdmissionIdleAndLimits: an idle response leaves the admitted set; MaxResponses rejects.
func TestAdmissionIdleAndLimits(t *testing.T) {
	cfg := admissionConfig(EDF)
	cfg.IdleTimeout = time.Second
	cfg.Admission.MaxResponses = 3
	s, clk := newTest[int](t, cfg)
	for i := 0; i < 3; i++ {
		mustSubmit(t, s, Item[int]{Stream: fmt.Sprint("r", i), Class: High})
	}
	if a, _ := s.Open(Response{Stream: "x", Class: High}); a.Decision != Reject || !strings.Contains(a.Reason, "limit") {
		t.Fatalf("over MaxResponses: %+v", a)
	}
	s.Dispatch(nil, 2) // r0 and r1 empty now, r2 still queued
	if st := s.Stats(); st.Classes[High].AdmittedNow != 3 || st.Responses != 3 {
		t.Fatalf("before idle: %+v", st.Classes[High])
	}
	clk.Advance(2 * time.Second)
	s.Dispatch(nil, 0)
	st := s.Stats()
	if st.Responses != 1 || st.Classes[High].AdmittedNow != 1 {
		t.Fatalf("after idle: %d open, %d admitted", st.Responses, st.Classes[High].AdmittedNow)
	}
	if a, err := s.Open(Response{Stream: "x", Class: High}); err != nil || a.Decision != Admit {
		t.Fatalf("after idle: %+v %v", a, err)
	}
	if a, _ := s.Open(Response{Stream: "x", Class: Low}); a.Decision != Admit || a.Class != High || a.Reason != "already open" {
		t.Fatalf("reopen: %+v", a)
	}
	for _, bad := range []Response{{Stream: ""}, {Stream: "y", Class: 5}, {Stream: "y", Budget: -time.Second}, {Stream: "y", Budget: time.Hour}, {Stream: "y", Period: -1}} {
		if _, err := s.Open(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open(%+v) = %v", bad, err)
		}
	}
}

// TestPeriodEstimate: rate-monotonic follows the observed inter-chunk gap: a response whose
// chunks arrive every 10 ms goes ahead of one at 30 ms even if it was opened later.
func TestPeriodEstimate(t *testing.T) {
	s, clk := newTest[string](t, quietConfig(RateMonotonic))
	for i := 0; i < 6; i++ {
		if i%3 == 0 {
			mustSubmit(t, s, Item[string]{Stream: "slow", Seq: uint64(i / 3), Payload: "slow"})
		}
		mustSubmit(t, s, Item[string]{Stream: "fast", Seq: uint64(i), Payload: "fast"})
		clk.Advance(10 * time.Millisecond)
	}
	got := payloads(s.Dispatch(nil, 10))
	if got[0] != "fast" || got[len(got)-1] != "slow" || len(got) != 8 {
		t.Fatalf("RM order %v", got)
	}
}
