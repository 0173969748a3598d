package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)

func validChunk() Chunk {
	return Chunk{
		Stream: "resp-1", Seq: 0, Time: t0, Text: "Hello",
		Tokens:    []Token{{Text: "Hel", Logprob: -0.1, Top: []TopLogprob{{Text: "He", Logprob: -2.5}}}, {Text: "lo", Logprob: -0.01}},
		ToolCalls: []ToolCallDelta{{Index: 0, ID: "call_1", Name: "search", Arguments: `{"q":`}},
		Meta:      &Meta{Tenant: "acme", Model: "gpt-x", Priority: PriorityHigh, DeadlineMS: 50, Policy: "default"},
	}
}

func TestChunkValidate(t *testing.T) {
	c := validChunk()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid chunk rejected: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(*Chunk)
		field string
	}{
		{"empty stream", func(c *Chunk) { c.Stream = "" }, "stream"},
		{"dot in stream", func(c *Chunk) { c.Stream = "a.b" }, "stream"},
		{"wildcard in stream", func(c *Chunk) { c.Stream = "a*" }, "stream"},
		{"long stream", func(c *Chunk) { c.Stream = strings.Repeat("a", 129) }, "stream"},
		{"missing ts", func(c *Chunk) { c.Time = time.Time{} }, "ts"},
		{"bad utf8", func(c *Chunk) { c.Text = "a\xffb" }, "text"},
		{"positive logprob", func(c *Chunk) { c.Tokens[0].Logprob = 0.5 }, "tokens[0].logprob"},
		{"nan top logprob", func(c *Chunk) { c.Tokens[0].Top[0].Logprob = nan() }, "tokens[0].top[0].logprob"},
		{"tool index", func(c *Chunk) { c.ToolCalls[0].Index = -1 }, "tool_calls[0].index"},
		{"meta on seq 1", func(c *Chunk) { c.Seq = 1 }, "meta"},
		{"priority", func(c *Chunk) { c.Meta.Priority = "urgent" }, "meta.priority"},
		{"deadline", func(c *Chunk) { c.Meta.DeadlineMS = -1 }, "meta.deadline_ms"},
		{"finish without final", func(c *Chunk) { c.FinishReason = "stop" }, "finish_reason"},
		{"huge seq", func(c *Chunk) { c.Seq = 1 << 63; c.Meta = nil }, "seq"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validChunk()
			c.Tokens = append([]Token(nil), c.Tokens...)
			c.Tokens[0].Top = append([]TopLogprob(nil), c.Tokens[0].Top...)
			c.ToolCalls = append([]ToolCallDelta(nil), c.ToolCalls...)
			m := *c.Meta
			c.Meta = &m
			tc.edit(&c)
			err := c.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			if ve.Field != tc.field {
				t.Fatalf("field %q, want %q (%v)", ve.Field, tc.field, err)
			}
		})
	}
	big := validChunk()
	big.Text = strings.Repeat("x", MaxTextBytes+1)
	if err := big.Validate(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize text: %v", err)
	}
}

func nan() float64 { var z float64; return z / z }

func TestDecodeChunk(t *testing.T) {
	c := validChunk()
	b, _ := json.Marshal(c)
	got, err := DecodeChunk(SchemaChunk, b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, c) {
		t.Fatalf("round trip: got %+v want %+v", got, c)
	}
	if _, err := DecodeChunk("", b); err != nil {
		t.Fatalf("missing schema header must read as current: %v", err)
	}
	if _, err := DecodeChunk("chunk/2", b); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("schema chunk/2: %v", err)
	}
	if _, err := DecodeChunk("", []byte(`{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00Z","bogus":1}`)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := DecodeChunk("", append(b, []byte(` {}`)...)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("trailing data: %v", err)
	}
	if _, err := DecodeChunk("", []byte("{\"stream\":\"a\",\"seq\":0,\"ts\":\"2026-01-01T00:00:00Z\",\"text\":\"a\xffb\"}")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("raw invalid UTF-8 accepted: %v", err)
	}
	if _, err := DecodeChunk("", make([]byte, MaxChunkBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := DecodeChunk("", []byte(`{"stream":"a","seq":-1,"ts":"2026-01-01T00:00:00Z"}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative seq: %v", err)
	}
}

func TestOtherMessages(t *testing.T) {
	v := Verdict{Stream: "s", Analyser: "compare", Seq: 3, Time: t0, Kind: "match", Status: "detected", Confidence: 0.9,
		Evidence: json.RawMessage(`{"span":[1,4]}`)}
	b, _ := json.Marshal(v)
	if got, err := DecodeVerdict(SchemaVerdict, b); err != nil || got.Kind != "match" {
		t.Fatalf("verdict: %v %+v", err, got)
	}
	v.Confidence = 2
	if err := v.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("confidence 2: %v", err)
	}
	a := Action{Stream: "s", Type: ActionStop, Seq: 2, Analyser: "verifier", Time: t0}
	b, _ = json.Marshal(a)
	if _, err := DecodeAction(SchemaAction, b); err != nil {
		t.Fatal(err)
	}
	a.Type = "explode"
	if err := a.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad action type: %v", err)
	}
	f := Feedback{Stream: "s", Analyser: "verifier", Rule: "no-pii", Label: LabelFalsePositive, Time: t0}
	b, _ = json.Marshal(f)
	if _, err := DecodeFeedback(SchemaFeedback, b); err != nil {
		t.Fatal(err)
	}
	f.Label = "meh"
	if err := f.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad label: %v", err)
	}
}

func TestSubjects(t *testing.T) {
	cases := []struct {
		subject string
		want    SubjectInfo
	}{
		{InSubject("r1"), SubjectInfo{Kind: "in", Partition: -1, Stream: "r1"}},
		{ChunkSubject(7, "r1"), SubjectInfo{Kind: "chunk", Partition: 7, Stream: "r1"}},
		{WorkSubject(15, "r-2"), SubjectInfo{Kind: "work", Partition: 15, Stream: "r-2"}},
		{VerdictSubject("compare", "r1"), SubjectInfo{Kind: "verdict", Partition: -1, Analyser: "compare", Stream: "r1"}},
		{ActionSubject("r1"), SubjectInfo{Kind: "action", Partition: -1, Stream: "r1"}},
		{FeedbackSubject("r1"), SubjectInfo{Kind: "feedback", Partition: -1, Stream: "r1"}},
		{DeadLetterSubject("ingest"), SubjectInfo{Kind: "dlq", Partition: -1, Stream: "ingest"}},
	}
	for _, tc := range cases {
		got, err := ParseSubject(tc.subject)
		if err != nil || got != tc.want {
			t.Errorf("ParseSubject(%q) = %+v, %v; want %+v", tc.subject, got, err, tc.want)
		}
	}
	for _, s := range []string{"", "ms", "ms.in", "ms.in.a.b", "ms.chunk.x.a", "ms.chunk.-1.a", "xx.in.a", "ms.zap.a", "ms.in.a*"} {
		if _, err := ParseSubject(s); err == nil {
			t.Errorf("ParseSubject(%q) accepted", s)
		}
	}
	if got := PartitionDestination(16); got != "ms.chunk.{{partition(16,1)}}.{{wildcard(1)}}" {
		t.Errorf("PartitionDestination = %q", got)
	}
}

// TestSchemasMatchTypes keeps the published JSON Schemas in step with the Go types: every JSON
// field of a type is a schema property and vice versa, recursively.
func TestSchemasMatchTypes(t *testing.T) {
	for file, typ := range map[string]reflect.Type{
		"schema/chunk.v1.json":    reflect.TypeFor[Chunk](),
		"schema/verdict.v1.json":  reflect.TypeFor[Verdict](),
		"schema/action.v1.json":   reflect.TypeFor[Action](),
		"schema/feedback.v1.json": reflect.TypeFor[Feedback](),
	} {
		b, err := Schemas.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		compareSchema(t, file, s, typ)
	}
}

func compareSchema(t *testing.T, where string, s map[string]any, typ reflect.Type) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		if typ.Kind() == reflect.Slice {
			if typ.Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
				return
			}
			items, _ := s["items"].(map[string]any)
			s = items
		}
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
		return
	}
	props, _ := s["properties"].(map[string]any)
	if s["additionalProperties"] != false {
		t.Errorf("%s: object %s must set additionalProperties false", where, typ.Name())
	}
	seen := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		seen[name] = true
		p, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s: field %s.%s (%q) missing from schema", where, typ.Name(), f.Name, name)
			continue
		}
		compareSchema(t, where+"."+name, p, f.Type)
	}
	for name := range props {
		if !seen[name] {
			t.Errorf("%s: schema property %q has no Go field in %s", where, name, typ.Name())
		}
	}
}

func FuzzDecodeChunk(f *testing.F) {
	c := validChunk()
	b, _ := json.Marshal(c)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"stream":"a","seq":1,"ts":"2026-01-01T00:00:00Z","final":true,"finish_reason":"stop"}`))
	f.Add([]byte(`{"stream":"a.b","seq":0,"ts":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"stream":"a","seq":0,"ts":"2026-01-01T00:00:00Z","text":"\ud800"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeChunk(SchemaChunk, data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// An accepted chunk re-encodes to something that decodes to the same chunk.
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := DecodeChunk(SchemaChunk, b)
		if err != nil {
			t.Fatalf("re-decode of accepted chunk failed: %v", err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", c, c2)
		}
	})
}
