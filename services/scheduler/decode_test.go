package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/sched"
)

func TestDecodeFields(t *testing.T) {
	for _, tc := range []struct {
		data string
		ok   bool
	}{
		{`{"stream":"a","seq":0}`, true},
		{`{"stream":"a","seq":3,"final":true,"text":"x","unknown":1}`, true},
		{`{"stream":"a"}`, false},                      // no seq
		{`{"stream":"a","seq":-1}`, false},             // negative
		{`{"stream":"a","seq":1099511627777}`, false},  // beyond wire.MaxSeq
		{`{"stream":"a.b","seq":0}`, false},            // not a subject token
		{`{"stream":"b","seq":0}`, false},              // does not match the subject
		{`[1,2]`, false}, {`null`, false}, {``, false}, // not an object
	} {
		_, err := decodeFields("ms.chunk.0.a", []byte(tc.data), "a")
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.data, err)
		}
		if err != nil && !errors.Is(err, ErrChunk) {
			t.Errorf("%s: %v does not match ErrChunk", tc.data, err)
		}
	}
}

func TestParseMeta(t *testing.T) {
	for _, tc := range []struct {
		meta  string
		class sched.Class
		dl    time.Duration
		probs []string
	}{
		{`{"priority":"high","deadline_ms":80,"tenant":"acme"}`, sched.High, 80 * time.Millisecond, nil},
		{`{}`, sched.Normal, 0, nil},
		{`{"priority":"CRITICAL"}`, sched.Critical, 0, nil},
		{`{"priority":"urgent"}`, sched.Normal, 0, []string{"unknown_class"}},
		{`{"priority":3}`, sched.Normal, 0, []string{"unknown_class"}},
		{`{"deadline_ms":-1}`, sched.Normal, 0, []string{"bad_deadline"}},
		{`{"deadline_ms":600001}`, sched.Normal, 0, []string{"bad_deadline"}},
		{`{"deadline_ms":"50"}`, sched.Normal, 0, []string{"bad_deadline"}},
		{`{"tenant":["x"],"priority":"low"}`, sched.Low, 0, []string{"bad_tenant"}},
	} {
		var f fields
		if _, err := decodeFieldsMeta(tc.meta, &f); err != nil {
			t.Fatal(err)
		}
		m, probs := parseMeta(f.Meta, nil)
		var kinds []string
		for _, p := range probs {
			kinds = append(kinds, p.kind)
		}
		if m.class != tc.class || m.deadline != tc.dl || len(kinds) != len(tc.probs) || (len(kinds) > 0 && kinds[0] != tc.probs[0]) {
			t.Errorf("%s: class %v deadline %v problems %v", tc.meta, m.class, m.deadline, kinds)
		}
	}
	if _, probs := parseMeta(nil, nil); len(probs) != 1 || probs[0].kind != "missing_meta" {
		t.Errorf("nil meta: %v", probs)
	}
}

func decodeFieldsMeta(meta string, f *fields) (fields, error) {
	var err error
	*f, err = decodeFields("ms.chunk.0.a", []byte(`{"stream":"a","seq":0,"meta":`+meta+`}`), "a")
	return *f, err
}

func TestReceivedAt(t *testing.T) {
	now := time.Unix(1000, 0)
	for h, want := range map[string]time.Time{
		"": now, "x": now, "-5": now, "999000000000": time.Unix(999, 0), "2000000000000": now,
	} {
		if got := receivedAt(h, now); !got.Equal(want) {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

func TestParseRate(t *testing.T) {
	good := map[string]*sched.Rate{
		`{"per_second":50,"burst":5}`: {PerSecond: 50, Burst: 5},
		"50:5":                        {PerSecond: 50, Burst: 5},
		"200":                         {PerSecond: 200, Burst: 20},
		"3":                           {PerSecond: 3, Burst: 1},
		"none":                        nil, "": nil,
	}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("%q: %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "-1", "5:0", "5:0.5", "NaN", "Inf", "1e10", `{"per_second":5}`, `{"per_second":5,"burst":2,"x":1}`, "fast", "5:x"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("%q accepted as %+v", in, r)
		}
	}
	rs, err := ParseRates("low=50:5, normal=200")
	if err != nil || rs[sched.Low].PerSecond != 50 || rs[sched.Normal].Burst != 20 {
		t.Errorf("ParseRates: %v %v", rs, err)
	}
	for _, in := range []string{"urgent=5", "low", "=5", "low=0"} {
		if _, err := ParseRates(in); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseRates(%q): %v", in, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"policy":"llf","classes":[{},{},{},{"limit":{"per_second":10,"burst":2}}]}`))
	if err != nil || cfg.Policy != sched.LLF || cfg.Classes[sched.Low].Limit.PerSecond != 10 {
		t.Fatalf("%+v %v", cfg, err)
	}
	// Absent fields keep the documented defaults.
	if !cfg.Classes[sched.High].Protected || cfg.Classes[sched.Normal].Budget != 250*time.Millisecond {
		t.Errorf("defaults lost: %+v", cfg.Classes)
	}
	for _, in := range []string{`{"policy":"fastest"}`, `{"polcy":"edf"}`, `{"classes":[{"budget":-1}]}`,
		`{"classes":[{"limit":{"per_second":0,"burst":1}}]}`, `{} {}`, `nope`} {
		if _, err := ParseConfig([]byte(in)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", in, err)
		}
	}
	if _, err := InitialConfig("", "rm", "low=5"); err != nil {
		t.Error(err)
	}
	if _, err := InitialConfig("", "nope", ""); !errors.Is(err, ErrConfig) {
		t.Errorf("bad policy: %v", err)
	}
	if _, err := InitialConfig("/nonexistent/x.json", "", ""); !errors.Is(err, ErrConfig) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"stream":"a","seq":0,"meta":{"priority":"high","deadline_ms":50,"tenant":"t"}}`,
		`{"stream":"a","seq":0,"meta":{"priority":7,"deadline_ms":"x","tenant":null}}`, `{"stream":"a","seq":1,"final":true}`,
		`{"stream":"a","seq":0,"meta":null}`, `{}`, `[]`, ``, `{"stream":"a","seq":1e300}`, `{"stream":"a","seq":0,"meta":{"deadline_ms":1e309}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := decodeFields("ms.chunk.0.a", data, "a")
		if err != nil {
			if !errors.Is(err, ErrChunk) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if fl.Stream != "a" || fl.Seq == nil {
			t.Fatalf("accepted %+v", fl)
		}
		m, _ := parseMeta(fl.Meta, nil)
		if !m.class.Valid() || m.deadline < 0 || m.deadline > sched.MaxBudget || len(m.tenant) > sched.MaxNameLen {
			t.Fatalf("meta out of range: %+v", m)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{`{"policy":"fp"}`, `{"classes":[{},{},{},{"limit":{"per_second":1,"burst":1}}]}`, `{"capacity":-1}`, `{}`, `50:5`, `none`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if cfg, err := ParseConfig([]byte(s)); err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("accepted config fails validation: %v", verr)
			}
		} else if !errors.Is(err, ErrConfig) {
			t.Fatalf("untyped error %v", err)
		}
		if r, err := ParseRate(s); err == nil && r != nil && (!(r.PerSecond > 0) || r.Burst < 1) {
			t.Fatalf("accepted rate %+v", r)
		}
	})
}
