package attractor

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Window != c.Window || got.LoopAction != c.LoopAction || len(got.Series) != len(c.Series) {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestParseConfigPartialKeepsDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`{"loop_action":"flag","debounce":10}`))
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.LoopAction != ActionFlag || c.Debounce != 10 || c.Window != d.Window || c.Hop != d.Hop {
		t.Fatalf("%+v", c)
	}
}

func TestParseConfigRejects(t *testing.T) {
	for _, tc := range []struct{ doc, field string }{
		{`{"window": 50}`, "window"},
		{`{"window": 100000}`, "window"},
		{`{"hop": 0}`, "hop"},
		{`{"hop": 1000}`, "hop"},
		{`{"series": []}`, "series"},
		{`{"series": ["logprob", "mood"]}`, "series"},
		{`{"series": ["logprob"], "classify": ["logprob"], "loop_series": ["entropy"]}`, "loop_series"},
		{`{"series": ["logprob"], "classify": ["gap"], "loop_series": []}`, "classify"},
		{`{"max_period": 1}`, "max_period"},
		{`{"max_period": 60}`, "max_period"},
		{`{"min_points": 20}`, "min_points"},
		{`{"min_lyapunov_points": 100}`, "min_lyapunov_points"},
		{`{"min_loop_confidence": 1.5}`, "min_loop_confidence"},
		{`{"min_class_confidence": -1}`, "min_class_confidence"},
		{`{"debounce": -1}`, "debounce"},
		{`{"loop_action": "kill"}`, "loop_action"},
		{`{"surrogates": 5, "alpha": 0.05}`, "surrogates"},
		{`{"alpha": 0}`, "surrogates"},
		{`{"windw": 256}`, ""},
		{`{"window": "big"}`, ""},
		{`{} {}`, ""},
		{`not json`, ""},
	} {
		_, err := ParseConfig([]byte(tc.doc))
		var ce *ConfigError
		if !errors.Is(err, ErrConfig) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: error %v, want a ConfigError on %q", tc.doc, err, tc.field)
		}
	}
}

func TestConfigureKeepsPreviousOnError(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(KeyConfig, []byte(`{"loop_action":"flag"}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(KeyConfig, []byte(`{"loop_action":"explode"}`)); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad value accepted: %v", err)
	}
	if got := a.Config().LoopAction; got != ActionFlag {
		t.Fatalf("loop action %q after a rejected value, want flag", got)
	}
	if err := a.Configure("thresholds", []byte(`{}`)); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown key accepted: %v", err)
	}
	if err := a.Configure(KeyConfig, nil); err != nil || a.Config().LoopAction != ActionStop {
		t.Fatalf("deleting the key must restore the defaults: %v %+v", err, a.Config())
	}
}

func FuzzParseConfig(f *testing.F) {
	def, _ := json.Marshal(DefaultConfig())
	for _, s := range []string{string(def), `{}`, `{"window":100,"hop":1,"max_period":20}`, `{"series":["gap"],"classify":[],"loop_series":[]}`,
		`{"alpha":1e-300,"surrogates":199}`, `{"debounce":1e300}`, `[]`, `null`, ``, `{"window":-1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		// Every accepted configuration must give a working session.
		s := newSession(&c)
		rec := &recorder{}
		for i := range 3 {
			s.add(idxLogprob, -float64(i), rec)
		}
	})
}
