package rules

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

func TestDefaultSetCompiles(t *testing.T) {
	s := Default()
	for _, name := range []string{"pii_email", "pii_phone", "pii_card", "secret", "tool_call_start", "tool_call_end",
		"tool_args_invalid", "tool_result", "json_valid", "final", "low_logprob"} {
		if _, ok := s.Index(name); !ok {
			t.Errorf("default set lacks %s", name)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	big := `{"props":[` + strings.Repeat(`{"name":"a","kind":"final"},`, MaxConfigBytes/20) + `]}`
	many := make([]string, MaxProps+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"name":"p%d","kind":"final"}`, i)
	}
	for _, tc := range []struct {
		doc   string
		is    error
		field string
	}{
		{`{`, ErrSyntax, ""},
		{`{"props":[]} x`, ErrSyntax, ""},
		{`{"props":[{"name":"a","kind":"final","bogus":1}]}`, ErrSyntax, ""},
		{big, ErrTooLarge, ""},
		{`{"props":[` + strings.Join(many, ",") + `]}`, ErrTooLarge, "props"},
		{`{"version":2,"props":[{"name":"a","kind":"final"}]}`, ErrInvalid, "version"},
		{`{"props":[]}`, ErrInvalid, "props"},
		{`{"props":[{"name":"1a","kind":"final"}]}`, ErrInvalid, "name"},
		{`{"props":[{"name":"G","kind":"final"}]}`, ErrInvalid, "name"},
		{`{"props":[{"name":"a","kind":"final"},{"name":"a","kind":"final"}]}`, ErrInvalid, "name"},
		{`{"props":[{"name":"a"}]}`, ErrInvalid, "kind"},
		{`{"props":[{"name":"a","kind":"magic"}]}`, ErrInvalid, "kind"},
		{`{"props":[{"name":"a","kind":"regex"}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"("}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"^a"}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"\\bcat"}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"a*"}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"a","max_len":5000}]}`, ErrInvalid, "max_len"},
		{`{"props":[{"name":"a","kind":"regex","pattern":"` + strings.Repeat("a", MaxPatternLen+1) + `"}]}`, ErrTooLarge, "pattern"},
		{`{"props":[{"name":"a","kind":"keyword"}]}`, ErrInvalid, "keywords"},
		{`{"props":[{"name":"a","kind":"keyword","keywords":[""]}]}`, ErrInvalid, "keywords[0]"},
		{`{"props":[{"name":"a","kind":"keyword","keywords":["` + strings.Repeat("a", MaxKeywordLen+1) + `"]}]}`, ErrTooLarge, "keywords[0]"},
		{`{"props":[{"name":"a","kind":"email","pattern":"x"}]}`, ErrInvalid, "pattern"},
		{`{"props":[{"name":"a","kind":"final","keywords":["x"]}]}`, ErrInvalid, "keywords"},
		{`{"props":[{"name":"a","kind":"signal","signal":"nope","op":"<","value":1}]}`, ErrInvalid, "signal"},
		{`{"props":[{"name":"a","kind":"signal","signal":"gap_ms","op":"~","value":1}]}`, ErrInvalid, "op"},
		{`{"props":[{"name":"a","kind":"signal","signal":"gap_ms","op":"<"}]}`, ErrInvalid, "value"},
		{`{"props":[{"name":"a","kind":"finish"}]}`, ErrInvalid, "values"},
		{`{"props":[{"name":"a","kind":"final","values":["stop"]}]}`, ErrInvalid, "values"},
	} {
		_, err := Parse([]byte(tc.doc))
		if !errors.Is(err, tc.is) {
			t.Errorf("%.60s: error %v, want %v", tc.doc, err, tc.is)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%.60s: error %#v, want field %q", tc.doc, err, tc.field)
		}
	}
}

func TestConfigErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"props":[{"name":"ok","kind":"final"},{"name":"bad","kind":"regex","pattern":"^x"}]}`))
	want := `props[1] ("bad").pattern: rules: invalid rule set: anchors and word boundaries`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q, want prefix %q", err, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(string(DefaultConfig))
	f.Add(testSetDoc)
	f.Add(`{"props":[{"name":"a","kind":"regex","pattern":"(a|b)+c","max_len":3}]}`)
	f.Add(`{"props":[{"name":"a","kind":"keyword","keywords":["x","xy","yx"],"ignore_case":true}]}`)
	f.Add(`{"props":[{"name":"a","kind":"signal","signal":"gap_ms","op":">=","value":1e308}]}`)
	f.Add(`{"version":1,"props":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := Parse([]byte(doc))
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v matches no sentinel", err)
			}
			return
		}
		// A set that compiles must run on any text without panicking.
		st := s.NewStream()
		v, err := st.Next(nil, &wireChunk0)
		if err != nil || len(v) != s.Words() {
			t.Fatalf("Next: %v, %d words", err, len(v))
		}
	})
}

func TestKeywordAutomatonLimit(t *testing.T) {
	// 200 keywords of 100 bytes over all 256 byte values: about 20000 trie states × 257
	// classes, beyond the 4 M cell limit.
	r := rand.New(rand.NewSource(1))
	var kws []string
	for i := 0; i < 200; i++ {
		b := make([]byte, 100)
		for j := range b {
			b[j] = byte(r.Intn(256))
		}
		kws = append(kws, string(b))
	}
	_, err := Compile(Config{Props: []PropConfig{{Name: "k", Kind: KindKeyword, Keywords: kws}}})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}
