package rules

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
)

// refJSON reports what encoding/json says about s: whether it is complete (json.Valid) and,
// if it contains an invalid byte, that byte's offset (-1 if the text is only truncated).
func refJSON(s string) (complete bool, errAt int64) {
	if json.Valid([]byte(s)) {
		return true, -1
	}
	var v any
	err := json.Unmarshal([]byte(s), &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if se.Error() == "unexpected end of JSON input" {
			return false, -1
		}
		if se.Offset == int64(len(s)) {
			// Unmarshal reports a truncated literal like an invalid last byte; the Decoder
			// tells them apart.
			var w any
			if err := json.NewDecoder(strings.NewReader(s)).Decode(&w); errors.Is(err, io.ErrUnexpectedEOF) {
				return false, -1
			}
		}
		// The scanner counts the offending byte before reporting it.
		return false, se.Offset - 1
	}
	return false, -1
}

func randJSON(r *rand.Rand, depth int, b *strings.Builder) {
	ws := func() {
		if r.Intn(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r", "  "}[r.Intn(5)])
		}
	}
	ws()
	k := r.Intn(9)
	if depth > 4 {
		k = r.Intn(6)
	}
	switch k {
	case 0:
		b.WriteString([]string{"true", "false", "null"}[r.Intn(3)])
	case 1, 2:
		b.WriteString([]string{"0", "-0", "12", "-3.25", "1e5", "2E-3", "0.5e+12", "-9", "7.0"}[r.Intn(9)])
	case 3, 4, 5:
		b.WriteByte('"')
		for i := r.Intn(6); i > 0; i-- {
			b.WriteString([]string{"a", "\\n", "\\u00e9", "é", "\\\"", " ", "\xff", "\\/"}[r.Intn(8)])
		}
		b.WriteByte('"')
	case 6, 7:
		b.WriteByte('[')
		n := r.Intn(4)
		for i := 0; i < n; i++ {
			if i > 0 {
				ws()
				b.WriteByte(',')
			}
			randJSON(r, depth+1, b)
		}
		ws()
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		n := r.Intn(4)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			b.WriteString(`"k`)
			b.WriteByte(byte('a' + i))
			b.WriteByte('"')
			ws()
			b.WriteByte(':')
			randJSON(r, depth+1, b)
		}
		ws()
		b.WriteByte('}')
	}
	ws()
}

// checkPrefixes compares JSONPrefix with encoding/json on every prefix of s.
func checkPrefixes(t *testing.T, s string) {
	t.Helper()
	var j JSONPrefix
	_, refErr := refJSON(s)
	for i := 0; i <= len(s); i++ {
		p := s[:i]
		complete, _ := refJSON(p)
		if j.Complete() != complete {
			t.Fatalf("%q: Complete()=%v, json.Valid=%v", p, j.Complete(), complete)
		}
		wantValid := refErr < 0 || int64(i) <= refErr
		if j.Valid() != wantValid {
			t.Fatalf("%q (of %q): Valid()=%v want %v (encoding/json error at %d)", p, s, j.Valid(), wantValid, refErr)
		}
		if i < len(s) {
			j.Write([]byte{s[i]})
		}
	}
	if refErr >= 0 && j.ErrorOffset() != refErr {
		t.Fatalf("%q: ErrorOffset %d, encoding/json %d", s, j.ErrorOffset(), refErr)
	}
}

func TestJSONPrefixAgainstEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []byte(`{}[]",:0123456789-+.eEtrufalsn \\u/x` + "\n\x01\xff")
	for n := 0; n < 1500; n++ {
		var b strings.Builder
		randJSON(r, 0, &b)
		s := b.String()
		checkPrefixes(t, s)
		// Mutations: replace, insert or delete one byte, or append garbage.
		bs := []byte(s)
		for m := 0; m < 4; m++ {
			mut := append([]byte(nil), bs...)
			pos := r.Intn(len(mut) + 1)
			c := alphabet[r.Intn(len(alphabet))]
			switch r.Intn(3) {
			case 0:
				if pos < len(mut) {
					mut[pos] = c
				}
			case 1:
				mut = append(mut[:pos], append([]byte{c}, mut[pos:]...)...)
			default:
				if pos < len(mut) {
					mut = append(mut[:pos], mut[pos+1:]...)
				}
			}
			checkPrefixes(t, string(mut))
		}
	}
}

func TestJSONPrefixCases(t *testing.T) {
	for _, s := range []string{
		"", " ", "{", "[", `"`, "t", "tru", "true", "truex", "-", "-0", "-01", "01", "1.", "1.e", "1e", "1e+",
		"1e+5", `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `[1,]`, `[,`, `{"a" 1}`, `{1:2}`, `[}`, `{]`,
		`"\u12`, `"\u12g"`, `"\q"`, "\"\x01\"", `[[[]]]`, `[[[]]`, `{} {}`, `1 2`, `"a" `, `nul`, `nulll`,
		strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100),
	} {
		checkPrefixes(t, s)
	}
}

func TestJSONPrefixDepthLimit(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("[", JSONMaxDepth) + strings.Repeat("]", JSONMaxDepth),
		strings.Repeat(`{"a":[`, JSONMaxDepth/2) + strings.Repeat("]}", JSONMaxDepth/2),
		strings.Repeat("[", JSONMaxDepth+1),
	} {
		var j JSONPrefix
		j.WriteString(s)
		complete, errAt := refJSON(s)
		if j.Complete() != complete || j.ErrorOffset() != errAt {
			t.Errorf("depth %d: Complete=%v ErrorOffset=%d, encoding/json %v %d", len(s)/2, j.Complete(), j.ErrorOffset(), complete, errAt)
		}
	}
}

func TestJSONPrefixClosedAndReset(t *testing.T) {
	var j JSONPrefix
	j.WriteString("12")
	if !j.Complete() || j.Closed() {
		t.Fatalf("bare number: Complete=%v Closed=%v, want true false", j.Complete(), j.Closed())
	}
	j.WriteString(" ")
	if !j.Closed() {
		t.Fatal("number followed by space should be closed")
	}
	j.WriteString("x")
	if j.Valid() || j.ErrorOffset() != 3 {
		t.Fatalf("Valid=%v ErrorOffset=%d, want false 3", j.Valid(), j.ErrorOffset())
	}
	j.Reset()
	if !j.Valid() || j.Len() != 0 || j.Complete() {
		t.Fatal("Reset did not clear state")
	}
}

func FuzzJSONPrefix(f *testing.F) {
	for _, s := range []string{"", `{"a":[1,2,{"b":null}]}`, `[1e5,-0.5,"\u00e9"]`, "tru", `{"a" 1}`, "\"\xff\"", "[[[", "1 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		checkPrefixes(t, s)
	})
}
