package metalearn

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
)

// kvKeyRE is the key syntax NATS KV accepts (nats.go jetstream/kv.go validKeyRe), without a
// leading or trailing dot.
var kvKeyRE = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func TestKeyMapping(t *testing.T) {
	for _, c := range []struct{ lk, kv string }{
		{"verifier/pii_threshold", "verifier.pii_threshold"},
		{"attractor/loop.min_period", "attractor.loop.min_period"},
		{"meta/verifier/pii_threshold/gain", "metalearn.meta/verifier/pii_threshold/gain"},
		{"patterns/acme corp/gpt-4o:mini/00ff", "metalearn.patterns/acme=20corp/gpt-4o=3Amini/00ff"},
		{"meta/x", "metalearn.meta/x"},
		{"metalearn/x", "metalearn.metalearn/x"},
		{"verifier/a=b", "verifier.a=b"},
		{"a.b/c", "metalearn.a=2Eb/c"},
	} {
		kv, err := LearnerToKV(c.lk)
		if err != nil || kv != c.kv {
			t.Errorf("LearnerToKV(%q) = %q, %v; want %q", c.lk, kv, err, c.kv)
		}
		lk, err := KVToLearner(c.kv)
		if err != nil || lk != c.lk {
			t.Errorf("KVToLearner(%q) = %q, %v; want %q", c.kv, lk, err, c.lk)
		}
	}
	for _, bad := range []string{"", "verifier", "verifier.", ".x", "metalearn.", "metalearn.=4", "metalearn.=61",
		"metalearn.=zz", "metalearn.verifier/x", "a b.c", "metalearn.a b"} {
		if _, err := KVToLearner(bad); !errors.Is(err, ErrKey) {
			t.Errorf("KVToLearner(%q): err %v, want ErrKey", bad, err)
		}
	}
	if _, err := LearnerToKV(""); !errors.Is(err, ErrKey) {
		t.Error("empty learner key accepted")
	}
}

func FuzzKeyMapping(f *testing.F) {
	for _, s := range []string{"verifier/x", "meta/a/b/gain", "patterns/t/m/0123", "a.b", "=", "/", "x//y", "é/ü", "metalearn/a", "a/b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lk string) {
		kv, err := LearnerToKV(lk)
		if lk == "" {
			if err == nil {
				t.Fatal("empty key mapped")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !kvKeyRE.MatchString(kv) || strings.HasPrefix(kv, ".") || strings.HasSuffix(kv, ".") {
			t.Fatalf("%q maps to %q, not a valid KV key", lk, kv)
		}
		back, err := KVToLearner(kv)
		if err != nil || back != lk {
			t.Fatalf("%q -> %q -> %q, %v", lk, kv, back, err)
		}
	})
}

func FuzzParseRequests(f *testing.F) {
	for _, s := range []string{"", "1", "0", "18446744073709551615", "18446744073709551616", `{"id":3}`, `{"id":3,"reason":"x"}`,
		`{"id":-1}`, `{"revision":2}`, `{"id":1}{"id":2}`, `{"bogus":1}`, " 7 ", "{", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := ParseIDRequest("approve", data); err == nil {
			if r.ID == 0 || len(r.Reason) > 1024 {
				t.Fatalf("accepted %+v", r)
			}
		} else if !errors.Is(err, ErrBadRequest) {
			t.Fatalf("error %v does not match ErrBadRequest", err)
		}
		if r, err := ParseRollbackRequest(data); err == nil {
			if r.Revision == 0 {
				t.Fatal("accepted revision 0")
			}
		} else if !errors.Is(err, ErrBadRequest) {
			t.Fatalf("error %v does not match ErrBadRequest", err)
		}
	})
}

func FuzzParseTargets(f *testing.F) {
	f.Add([]byte(`[{"key":"verifier.x","analyser":"verifier","rule":"pii","fp_rate":0.1,"direction":1,"default":0.5,"min":0,"max":1}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"key":"metalearn.x"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ParseTargets(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not match ErrConfig", err)
			}
			return
		}
		for i := range ts {
			if _, err := ts[i].validate(); err != nil {
				t.Fatalf("accepted invalid target %+v: %v", ts[i], err)
			}
		}
	})
}

func TestParseTargets(t *testing.T) {
	good := `[{"key":"verifier.pii_threshold","analyser":"verifier","rule":"pii","fp_rate":0.05,"direction":1,"default":0.5,"min":0.2,"max":6,"max_step":0.5}]`
	ts, err := ParseTargets([]byte(good))
	if err != nil || len(ts) != 1 || ts[0].MaxStep != 0.5 {
		t.Fatalf("%+v %v", ts, err)
	}
	for name, bad := range map[string]string{
		"prefix":    `[{"key":"metalearn.x","analyser":"v","rule":"r","fp_rate":0.1,"direction":1,"default":0.5,"min":0,"max":1}]`,
		"direction": `[{"key":"v.x","analyser":"v","rule":"r","fp_rate":0.1,"direction":0,"default":0.5,"min":0,"max":1}]`,
		"fp_rate":   `[{"key":"v.x","analyser":"v","rule":"r","fp_rate":1,"direction":1,"default":0.5,"min":0,"max":1}]`,
		"default":   `[{"key":"v.x","analyser":"v","rule":"r","fp_rate":0.1,"direction":1,"default":2,"min":0,"max":1}]`,
		"rule":      `[{"key":"v.x","analyser":"v","fp_rate":0.1,"direction":1,"default":0.5,"min":0,"max":1}]`,
		"duplicate": `[` + good[1:len(good)-1] + `,` + good[1:len(good)-1] + `]`,
		"json":      `[{`,
	} {
		if _, err := ParseTargets([]byte(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
}

func TestSanitize(t *testing.T) {
	type inner struct {
		X float64 `json:"x"`
		Y float64 `json:"y,omitempty"`
	}
	v := struct {
		A []float64
		B map[string]inner
		C *inner
		D []int
	}{A: []float64{1, math.NaN(), math.Inf(1)}, B: map[string]inner{"k": {X: math.NaN()}}}
	b, err := json.Marshal(Sanitize(v))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"A":[1,null,null],"B":{"k":{"x":null}},"C":null,"D":[]}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}
