package sched

import (
	"errors"
	"testing"
)

func TestParseClass(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Class
		err  bool
	}{
		{"critical", Critical, false}, {"HIGH", High, false}, {" normal ", Normal, false}, {"low", Low, false},
		{"", Normal, false}, {"urgent", Normal, true}, {"crit", Normal, true},
	} {
		got, err := ParseClass(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseClass(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil {
			var pe *ParseError
			if !errors.Is(err, ErrUnknownClass) || !errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnknownPolicy) || !errors.As(err, &pe) || pe.Value != tc.in {
				t.Errorf("ParseClass(%q) error %v does not match ErrUnknownClass with the value", tc.in, err)
			}
		}
	}
	for c := Critical; c < NumClasses; c++ {
		b, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Class
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Errorf("round trip of %v: %v, %v", c, back, err)
		}
	}
	if _, err := Class(7).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText of class 7: %v", err)
	}
	var c Class
	if err := c.UnmarshalText([]byte("bogus")); !errors.Is(err, ErrUnknownClass) {
		t.Errorf("UnmarshalText(bogus): %v", err)
	}
	if Class(9).String() != "class(9)" {
		t.Errorf("String of class 9: %s", Class(9))
	}
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]Policy{"fp": FixedPriority, "Fixed-Priority": FixedPriority, "rm": RateMonotonic,
		"rate-monotonic": RateMonotonic, "EDF": EDF, "earliest-deadline-first": EDF, "llf": LLF, " least-laxity-first": LLF} {
		got, err := ParsePolicy(in)
		if err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePolicy("fifo"); !errors.Is(err, ErrUnknownPolicy) || errors.Is(err, ErrUnknownClass) {
		t.Errorf("ParsePolicy(fifo) error %v", err)
	}
	for p := Policy(0); p < NumPolicies; p++ {
		b, _ := p.MarshalText()
		var back Policy
		if err := back.UnmarshalText(b); err != nil || back != p {
			t.Errorf("round trip of %v: %v %v", p, back, err)
		}
	}
}

// FuzzParseClass checks that parsing never panics, that a success round-trips through String,
// and that a failure still yields the documented default.
func FuzzParseClass(f *testing.F) {
	for _, s := range []string{"", "critical", "HIGH", " low\t", "normal\x00", "urgent", "\xff\xfe", "ＣＲＩＴＩＣＡＬ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClass(s)
		if err != nil {
			if c != Normal || !errors.Is(err, ErrUnknownClass) {
				t.Fatalf("ParseClass(%q) = %v, %v", s, c, err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("ParseClass(%q) returned invalid class %d", s, c)
		}
		if s != "" {
			if back, err := ParseClass(c.String()); err != nil || back != c {
				t.Fatalf("round trip of %q: %v %v", s, back, err)
			}
		}
		p, err := ParsePolicy(s)
		if err == nil {
			if back, err := ParsePolicy(p.String()); err != nil || back != p {
				t.Fatalf("policy round trip of %q: %v %v", s, back, err)
			}
		} else if !errors.Is(err, ErrUnknownPolicy) {
			t.Fatalf("ParsePolicy(%q): %v", s, err)
		}
	})
}
