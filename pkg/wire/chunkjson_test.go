package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refDecodeChunkJSON is the encoding/json decode DecodeChunk used before the hand-written
// decoder, kept as the reference the new one must match exactly.
func refDecodeChunkJSON(data []byte, c *Chunk) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data")
	}
	return nil
}

// refDecodeChunk is the whole of the old DecodeChunk.
func refDecodeChunk(schema string, data []byte) (*Chunk, error) {
	if err := checkInput(schema, SchemaChunk, "chunk", MaxChunkBytes, data); err != nil {
		return nil, err
	}
	c := new(Chunk)
	if err := refDecodeChunkJSON(data, c); err != nil {
		return nil, &ValidationError{Field: "chunk", Reason: "malformed JSON: " + err.Error()}
	}
	return c, c.Validate()
}

// checkEquivalent fails t unless the hand-written decoder and encoding/json agree on data: both
// refuse it, or both accept it with deeply equal chunks; and DecodeChunk returns the same
// chunk and, where the JSON was accepted, the very same validation error as the old path.
func checkEquivalent(t *testing.T, data []byte) {
	t.Helper()
	if checkInput("", SchemaChunk, "chunk", MaxChunkBytes, data) == nil {
		var got, want Chunk
		gerr := decodeChunkJSON(data, &got)
		werr := refDecodeChunkJSON(data, &want)
		switch {
		case (gerr == nil) != (werr == nil):
			t.Fatalf("input %q:\nfast: %v\njson: %v", data, gerr, werr)
		case gerr == nil && !reflect.DeepEqual(got, want):
			t.Fatalf("input %q:\nfast: %#v\njson: %#v", data, got, want)
		case gerr != nil:
			var ve *ValidationError
			if !errors.As(gerr, &ve) || !errors.Is(gerr, ErrInvalid) {
				t.Fatalf("input %q: untyped error %v", data, gerr)
			}
		}
	}
	gc, gerr := DecodeChunk(SchemaChunk, data)
	wc, werr := refDecodeChunk(SchemaChunk, data)
	if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(gc, wc) {
		t.Fatalf("DecodeChunk(%q):\nfast: %+v, %v\njson: %+v, %v", data, gc, gerr, wc, werr)
	}
	if gc != nil && gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("DecodeChunk(%q) validation: fast %v, json %v", data, gerr, werr)
	}
	for _, sentinel := range []error{ErrInvalid, ErrTooLarge, ErrSchemaVersion} {
		if errors.Is(gerr, sentinel) != errors.Is(werr, sentinel) {
			t.Fatalf("DecodeChunk(%q): fast %v, json %v", data, gerr, werr)
		}
	}
}

// typical is a 200-byte chunk: stream, seq, ts and text, no escapes.
const typical = `{"stream":"resp-8f3a2c91d4","seq":17,"ts":"2026-12-08T03:00:00.123456789Z","text":" the quick brown fox jumps over the lazy dog, and then the model keeps going for a while longer so that it ends here."}`

// escaped is typical with a newline and quotes in the text, which need unescaping.
const escaped = `{"stream":"resp-8f3a2c91d4","seq":17,"ts":"2026-12-08T03:00:00.123456789Z","text":" the quick brown fox jumps over the \"lazy\" dog,\nand then the model keeps going for a while longer so"}`

// edgeInputs are the hand-picked inputs: every field type, null, duplicates, case folding,
// escapes, edge numbers, syntax errors. Each is checked for equivalence; the seeds of the fuzz
// test are these too.
func edgeInputs() []string {
	c := validChunk()
	full, _ := json.Marshal(c)
	const h = `{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00Z"`
	in := []string{
		string(full), typical, escaped, `{}`, `null`, ` null `, `nullx`, `[]`, `1`, `"x"`, `true`, ``, ` `, `{`, `}`, `{"stream"}`,
		h + `}`, h + `} `, h + "}\n\t\r ", h + `}}`, h + `} {}`, h + `}x`, h + `,}`, h + `,,"text":"a"}`,
		h + `,"text":"a" "final":true}`, h + `,"final":true,"finish_reason":"stop"}`, h + `,"finish_reason":"stop"}`,
		h + `,"bogus":1}`, h + `,"Bogus":null}`, h + `,"tokens":[{"text":"a","logprob":-1,"x":2}]}`,
		h + `,"meta":{"tenant":"t","zzz":1}}`, h + `,"tool_calls":[{"index":0,"ID":"x","nope":1}]}`,
		h + `,"tokens":[{"text":"a","logprob":-1,"top":[{"text":"b","logprob":-2,"q":0}]}]}`,
		// case folding
		`{"STREAM":"a","Seq":0,"TS":"2026-01-01T00:00:00Z"}`, `{"ſtream":"a","ſeq":0,"ts":"2026-01-01T00:00:00Z"}`,
		h + `,"to` + "\u212a" + `ens":[]}`, h + `,"FINAL":true,"finiſh_reaſon":"stop"}`, `{"\u0073tream":"a","seq":0,"ts":"2026-01-01T00:00:00Z"}`,
		h + `,"Tool_Calls":[{"INDEX":1,"Arguments":"{}"}]}`, h + `,"Meta":{"DEADLINE_MS":5,"Priority":"low"}}`,
		h + `,"streaM":"b"}`, h + `,"ſtreaM":"b","stream":"c"}`,
		// null
		`{"stream":"a","stream":null,"seq":3,"seq":null,"ts":"2026-01-01T00:00:00Z","ts":null}`,
		h + `,"text":null,"tokens":null,"tool_calls":null,"meta":null,"final":null,"finish_reason":null}`,
		h + `,"tokens":[null,{"text":null,"logprob":null,"top":null}]}`, h + `,"tool_calls":[null]}`,
		h + `,"meta":{"tenant":null,"deadline_ms":null}}`, h + `,"tokens":[{"top":[null]}]}`,
		h + `,"final":true,"final":null,"finish_reason":"x"}`,
		// duplicates
		h + `,"text":"a","text":"b"}`, h + `,"meta":{"tenant":"x"},"meta":{"model":"y"}}`,
		h + `,"meta":{"tenant":"x"},"meta":null,"meta":{"model":"y"}}`,
		h + `,"tokens":[{"text":"a","logprob":-1,"top":[{"text":"t","logprob":-3}]},{"text":"b"}],"tokens":[{"logprob":-2}]}`,
		h + `,"tokens":[{"text":"a"},{"text":"b"}],"tokens":[{"logprob":-2}],"tokens":[{},{},{}]}`,
		h + `,"tokens":[{"text":"a"},{"text":"b"}],"tokens":[],"tokens":[{},{}]}`,
		h + `,"tokens":[],"tokens":[{}]}`, h + `,"tokens":[]}`, h + `,"tokens":[ ]}`, h + `,"tool_calls":[],"meta":{}}`,
		h + `,"tool_calls":[{"index":1,"id":"a"},{"index":2}],"tool_calls":[{"name":"n"}]}`,
		// escapes
		h + `,"text":"\n\"\\\/\b\f\r\t\u00e9\u20AC"}`, h + `,"text":"\ud83d\ude00"}`, h + `,"text":"\ud800"}`,
		h + `,"text":"\udc00"}`, h + `,"text":"\ud800\u0041"}`, h + `,"text":"\ud800\ud800\udc00"}`,
		h + `,"text":"\ud800\\"}`, h + `,"text":"\ud83d\ude0"}`, h + `,"text":"\x"}`, h + `,"text":"\u12G4"}`,
		h + `,"text":"\u0000"}`, h + `,"text":"a` + "\x01" + `"}`, h + `,"text":"a` + "\x7f" + `"}`,
		h + `,"text":"é€😀"}`, h + `,"text":"\`, h + `,"text":"\u00`, h + `,"text":"abc`,
		`{"stream":"a\u002eb","seq":0,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":0,"ts":"2026\u002d01-01T00:00:00Z"}`,
		// numbers
		`{"stream":"a","seq":-1,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":-0,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":1.0,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":1e2,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":18446744073709551615,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":18446744073709551616,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":1099511627776,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":1099511627777,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":"1","ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":01,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":+1,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":1.,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":-,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":1e,"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":"a","seq":true,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":"a","seq":[],"ts":"2026-01-01T00:00:00Z"}`,
		`{"stream":1,"seq":0,"ts":"2026-01-01T00:00:00Z"}`, `{"stream":{},"seq":0,"ts":"2026-01-01T00:00:00Z"}`,
		h + `,"tokens":[{"text":"a","logprob":-1e-400}]}`, h + `,"tokens":[{"text":"a","logprob":-1e400}]}`,
		h + `,"tokens":[{"text":"a","logprob":-0.0}]}`, h + `,"tokens":[{"text":"a","logprob":-1E+2}]}`,
		h + `,"tokens":[{"text":"a","logprob":-10000.000000000001}]}`, h + `,"tokens":[{"text":"a","logprob":"-1"}]}`,
		h + `,"tokens":[{"text":"a","logprob":-.5}]}`, h + `,"tokens":[{"text":"a","logprob":-0.5e-3}]}`,
		h + `,"tool_calls":[{"index":-0}]}`, h + `,"tool_calls":[{"index":63}]}`, h + `,"tool_calls":[{"index":64}]}`,
		h + `,"tool_calls":[{"index":9223372036854775808}]}`, h + `,"tool_calls":[{"index":-9223372036854775808}]}`,
		h + `,"tool_calls":[{"index":1.5}]}`, h + `,"meta":{"deadline_ms":600000}}`, h + `,"meta":{"deadline_ms":-1}}`,
		h + `,"meta":{"deadline_ms":1e3}}`, h + `,"meta":{"priority":"urgent"}}`, h + `,"meta":{"priority":""}}`,
		// types
		h + `,"final":1}`, h + `,"final":"true"}`, h + `,"final":tru}`, h + `,"final":false}`, h + `,"final":nul}`,
		h + `,"tokens":{}}`, h + `,"tokens":[1]}`, h + `,"tokens":["a"]}`, h + `,"tokens":[[]]}`, h + `,"tokens":[{}],}`,
		h + `,"tokens":[{},]}`, h + `,"tokens":[{}`, h + `,"tokens":[`, h + `,"meta":[]}`, h + `,"meta":"x"}`,
		h + `,"meta":{"tenant":1}}`, h + `,"text":["a"]}`, h + `,"text":{"a":1}}`,
		`{"stream":"a","seq":0,"ts":1}`, `{"stream":"a","seq":0,"ts":{}}`, `{"stream":"a","seq":0,"ts":[]}`,
		`{"stream":"a","seq":0,"ts":true}`, `{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00+01:00"}`,
		`{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00.5-07:30"}`, `{"stream":"a","seq":0,"ts":"2026-01-01 00:00:00Z"}`,
		`{"stream":"a","seq":0,"ts":"2026-01-01T24:00:00Z"}`, `{"stream":"a","seq":0,"ts":"1999-12-31T23:59:59Z"}`,
		`{"stream":"a","seq":0,"ts":"0001-01-01T00:00:00Z"}`, `{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00z"}`,
		// syntax
		`{"stream":"a" ,"seq" : 0 , "ts" :"2026-01-01T00:00:00Z" }`, "\t{\n\"stream\"\r:\"a\",\"seq\":0,\"ts\":\"2026-01-01T00:00:00Z\"}\n",
		`{'stream':"a"}`, `{stream:"a"}`, `{"stream":"a",}`, `{"stream":"a";"seq":0}`, `{"stream" "a"}`, `{,}`, `{"a":1 `,
		"\ufeff" + h + `}`, h + `,"text":"a"` + "\x00" + `}`, h + "\x00}",
	}
	return in
}

func TestDecodeChunkEquivalenceEdges(t *testing.T) {
	for _, s := range edgeInputs() {
		checkEquivalent(t, []byte(s))
	}
}

// TestDecodeChunkJSONRules pins the encoding/json behaviours the decoder reproduces, so a
// reader sees them without running the fuzzer.
func TestDecodeChunkJSONRules(t *testing.T) {
	const h = `{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00Z"`
	dec := func(s string) Chunk {
		t.Helper()
		var c Chunk
		if err := decodeChunkJSON([]byte(s), &c); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return c
	}
	if c := dec(`{"ſtream":"x","STREAM":"y"}`); c.Stream != "y" {
		t.Errorf("case-folded duplicate: stream %q, want y", c.Stream)
	}
	if c := dec(h + `,"stream":null}`); c.Stream != "a" {
		t.Errorf("null left stream %q, want a", c.Stream)
	}
	if c := dec(h + `,"tokens":[]}`); c.Tokens == nil || len(c.Tokens) != 0 {
		t.Errorf("[]: %#v, want empty non-nil", c.Tokens)
	}
	c := dec(h + `,"tokens":[{"text":"a","top":[{"text":"t"}]}],"tokens":[{"logprob":-2}]}`)
	if want := []Token{{Text: "a", Logprob: -2, Top: []TopLogprob{{Text: "t"}}}}; !reflect.DeepEqual(c.Tokens, want) {
		t.Errorf("duplicate tokens merged into %#v, want %#v", c.Tokens, want)
	}
	c = dec(h + `,"meta":{"tenant":"x"},"meta":{"model":"y"}}`)
	if *c.Meta != (Meta{Tenant: "x", Model: "y"}) {
		t.Errorf("duplicate meta: %+v", *c.Meta)
	}
	if c := dec(h + `,"text":"\ud800\u0041\ud83d\ude00\n"}`); c.Text != "\uFFFDA😀\n" {
		t.Errorf("escapes: %q", c.Text)
	}
	var z Chunk
	err := decodeChunkJSON([]byte(h+`,"bogus":1}`), &z)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"bogus"`) || !strings.Contains(err.Error(), "at byte 50") {
		t.Errorf("unknown field: %v", err)
	}
	err = decodeChunkJSON([]byte(`{"stream":"a","seq":-1}`), &z)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "seq") || !strings.Contains(err.Error(), "at byte 20") {
		t.Errorf("negative seq: %v", err)
	}
}

// TestDecodeChunkEquivalenceRandom compares the decoders on random documents built from the
// chunk's grammar (known and unknown keys in random case, duplicates, nulls, wrong types,
// escapes, edge numbers, random whitespace) and on byte-level mutations of them.
func TestDecodeChunkEquivalenceRandom(t *testing.T) {
	n := 20000
	if raceEnabled { // the decoders share no state; the race detector only slows this down
		n = 4000
	}
	if testing.Short() {
		n = 2000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		g := &gen{rng: rng}
		g.chunk()
		doc := g.b.Bytes()
		checkEquivalent(t, doc)
		for k := 0; k < 3; k++ {
			checkEquivalent(t, mutate(rng, doc))
		}
	}
}

func mutate(rng *rand.Rand, doc []byte) []byte {
	m := append([]byte(nil), doc...)
	if len(m) == 0 {
		return m
	}
	i := rng.IntN(len(m))
	switch rng.IntN(5) {
	case 0: // delete a byte
		return append(m[:i], m[i+1:]...)
	case 1: // duplicate a byte
		return append(m[:i+1], m[i:]...)
	case 2: // replace with a structural byte
		const structural = `{}[]",:\ 0-.eEn`
		m[i] = structural[rng.IntN(len(structural))]
	case 3: // truncate
		return m[:i]
	default: // swap two bytes
		j := rng.IntN(len(m))
		m[i], m[j] = m[j], m[i]
	}
	return m
}

type gen struct {
	rng *rand.Rand
	b   bytes.Buffer
}

func (g *gen) p(percent int) bool { return g.rng.IntN(100) < percent }

func (g *gen) ws() {
	for g.p(10) {
		g.b.WriteByte(" \t\n\r"[g.rng.IntN(4)])
	}
}

// key writes name, sometimes in another case, with a folding rune or an escape, or replaced by
// an unknown name.
func (g *gen) key(name string) {
	switch {
	case g.p(3):
		name = []string{"bogus", "Text2", "", "_", "stream "}[g.rng.IntN(5)]
	case g.p(4):
		name = strings.ToUpper(name)
	case g.p(3):
		name = strings.Replace(name, "s", "ſ", 1)
	case g.p(3):
		name = strings.Replace(name, "k", "\u212a", 1)
	}
	g.ws()
	if g.p(3) && name != "" {
		fmt.Fprintf(&g.b, `"\u%04x%s"`, name[0], name[1:])
	} else {
		g.b.WriteString(strconv.Quote(name))
	}
	g.ws()
	g.b.WriteByte(':')
	g.ws()
}

// wrong writes a value of a random JSON type, used in place of a field's value.
func (g *gen) wrong() {
	g.b.WriteString([]string{`null`, `1`, `-1`, `1.5`, `"s"`, `true`, `false`, `{}`, `[]`, `[1]`, `{"a":1}`, `""`}[g.rng.IntN(12)])
}

func (g *gen) object(fields []string, value func(string)) {
	g.b.WriteByte('{')
	n := g.rng.IntN(len(fields) + 2)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		f := fields[g.rng.IntN(len(fields))]
		g.key(f)
		if g.p(5) {
			g.wrong()
		} else {
			value(f)
		}
		g.ws()
	}
	g.b.WriteByte('}')
}

func (g *gen) array(max int, elem func()) {
	g.b.WriteByte('[')
	n := g.rng.IntN(max + 1)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		if g.p(5) {
			g.b.WriteString("null")
		} else {
			elem()
		}
		g.ws()
	}
	g.b.WriteByte(']')
}

func (g *gen) str(short bool) {
	pieces := []string{"a", "Hello", " ", "é", "😀", `\n`, `\"`, `\\`, `\/`, `\b`, `\f`, `\r`, `\t`, `\u00e9`,
		`\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\uFFFD`, `\u0000`, "x.y", "*", "-", "_", "0"}
	g.b.WriteByte('"')
	n := g.rng.IntN(6)
	if short {
		n = 1 + g.rng.IntN(3)
	}
	for i := 0; i < n; i++ {
		if short && g.p(80) {
			g.b.WriteString([]string{"a", "b", "-", "_", "Z", "9"}[g.rng.IntN(6)])
			continue
		}
		g.b.WriteString(pieces[g.rng.IntN(len(pieces))])
	}
	g.b.WriteByte('"')
}

func (g *gen) num(integer bool) {
	ints := []string{"0", "1", "7", "63", "64", "-0", "-1", "1099511627776", "1099511627777", "18446744073709551615",
		"18446744073709551616", "9223372036854775807", "-9223372036854775808", "600000", "600001"}
	floats := []string{"-0.5", "-1e-3", "-2.5E+1", "-10000", "-10001", "0.0", "0.1", "-1e400", "-1e-400", "-0", "1e2", "-3.14159"}
	if integer && g.p(90) || !integer && g.p(10) {
		g.b.WriteString(ints[g.rng.IntN(len(ints))])
	} else {
		g.b.WriteString(floats[g.rng.IntN(len(floats))])
	}
}

func (g *gen) ts() {
	g.b.WriteString([]string{`"2026-12-08T03:00:00Z"`, `"2026-12-08T03:00:00.123456789Z"`, `"2026-12-08T03:00:00+02:00"`,
		`"1999-01-01T00:00:00Z"`, `"2026-13-01T00:00:00Z"`, `"2026-12-08"`, `"2026-12-08T03:00:00\u005a"`, `null`}[g.rng.IntN(8)])
}

func (g *gen) chunk() {
	g.ws()
	g.object(chunkFields, func(f string) {
		switch f {
		case "stream", "finish_reason":
			g.str(true)
		case "seq":
			g.num(true)
		case "ts":
			g.ts()
		case "text":
			g.str(false)
		case "final":
			g.b.WriteString([]string{"true", "false", "null"}[g.rng.IntN(3)])
		case "tokens":
			g.array(4, func() {
				g.object(tokenFields, func(f string) {
					switch f {
					case "text":
						g.str(false)
					case "logprob":
						g.num(false)
					case "top":
						g.array(3, func() {
							g.object(topFields, func(f string) {
								if f == "text" {
									g.str(false)
								} else {
									g.num(false)
								}
							})
						})
					}
				})
			})
		case "tool_calls":
			g.array(3, func() {
				g.object(toolCallFields, func(f string) {
					if f == "index" {
						g.num(true)
					} else {
						g.str(f != "arguments")
					}
				})
			})
		case "meta":
			if g.p(10) {
				g.b.WriteString("null")
				return
			}
			g.object(metaFields, func(f string) {
				switch f {
				case "deadline_ms":
					g.num(true)
				case "priority":
					g.b.WriteString([]string{`"high"`, `"low"`, `""`, `"urgent"`, `"normal"`, `"critical"`}[g.rng.IntN(6)])
				default:
					g.str(true)
				}
			})
		}
	})
	g.ws()
}

func FuzzDecodeChunkEquivalence(f *testing.F) {
	for _, s := range edgeInputs() {
		f.Add([]byte(s))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		g := &gen{rng: rng}
		g.chunk()
		f.Add(g.b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEquivalent(t, data)
	})
}

func TestDecodeChunkAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	for _, tc := range []struct {
		name string
		data []byte
		max  float64
	}{
		{"size=200", []byte(typical), 3},
		{"escaped", []byte(escaped), 4},
		{"tokens", tokensChunk(), 4},
	} {
		if _, err := DecodeChunk(SchemaChunk, tc.data); err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(100, func() {
			if _, err := DecodeChunk(SchemaChunk, tc.data); err != nil {
				t.Fatal(err)
			}
		})
		if n > tc.max {
			t.Errorf("%s: %v allocations per decode, want at most %v", tc.name, n, tc.max)
		}
	}
}

// tokensChunk is a chunk of 8 tokens with log-probabilities and no alternatives, as a gateway
// that asks the model for logprobs sends it.
func tokensChunk() []byte {
	c := Chunk{Stream: "resp-8f3a2c", Seq: 17, Time: time.Date(2026, 12, 8, 3, 0, 0, 123456789, time.UTC)}
	for _, w := range []string{" the", " quick", " brown", " fox", " jumps", " over", " the", " dog"} {
		c.Text += w
		c.Tokens = append(c.Tokens, Token{Text: w, Logprob: -0.0123456})
	}
	b, _ := json.Marshal(c)
	return b
}

func BenchmarkDecodeChunk(b *testing.B) {
	impls := []struct {
		name string
		fn   func(string, []byte) (*Chunk, error)
	}{{"json", refDecodeChunk}, {"fast", DecodeChunk}}
	for _, impl := range impls {
		for _, in := range []struct {
			name string
			data []byte
		}{{"size=200", []byte(typical)}, {"escaped", []byte(escaped)}, {"tokens", tokensChunk()}} {
			b.Run("impl="+impl.name+"/"+in.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0, ok := threadCPU()
				for b.Loop() {
					if _, err := impl.fn(SchemaChunk, in.data); err != nil {
						b.Fatal(err)
					}
				}
				if cpu1, _ := threadCPU(); ok {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
