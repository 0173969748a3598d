package rules

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/midstream/midstream/pkg/wire"
)

func mustParse(t testing.TB, doc string) *Set {
	t.Helper()
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run feeds texts as consecutive chunks, the last one final, and returns their valuations.
func run(t testing.TB, s *Set, texts []string) []Valuation {
	t.Helper()
	st := s.NewStream()
	out := make([]Valuation, len(texts))
	for i, x := range texts {
		c := wire.Chunk{Seq: uint64(i), Text: x, Final: i == len(texts)-1}
		v, err := st.Next(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// bytewise returns, for proposition p, the set of positions at which its evidence completes
// when text arrives one byte per chunk: 0..n-1 for bytes, n for the end of the response.
func bytewise(t testing.TB, s *Set, text string) [][]bool {
	chunks := make([]string, 0, len(text)+1)
	for i := 0; i < len(text); i++ {
		chunks = append(chunks, text[i:i+1])
	}
	chunks = append(chunks, "")
	vals := run(t, s, chunks)
	ev := make([][]bool, s.Len())
	for p := range ev {
		ev[p] = make([]bool, len(vals))
		for i, v := range vals {
			ev[p][i] = v.Has(p)
		}
	}
	return ev
}

// checkSplits checks the boundary semantics: for every split of text into chunks, an event
// proposition is true in a chunk exactly when a bytewise evidence position lies in it (the end
// position belongs to the final chunk), and a state proposition (json_*) is true exactly when
// it is true bytewise after the chunk's last byte.
func checkSplits(t *testing.T, s *Set, text string, r *rand.Rand) {
	t.Helper()
	ev := bytewise(t, s, text)
	n := len(text)
	check := func(cuts []int) {
		t.Helper()
		var texts []string
		for i := 0; i+1 < len(cuts); i++ {
			texts = append(texts, text[cuts[i]:cuts[i+1]])
		}
		vals := run(t, s, texts)
		for ci, v := range vals {
			lo, hi := cuts[ci], cuts[ci+1]
			if ci == len(vals)-1 {
				hi = n + 1 // the end position
			}
			for p := 0; p < s.Len(); p++ {
				var want bool
				switch s.Kind(p) {
				case KindJSONPrefix, KindJSONComplete:
					var j JSONPrefix
					j.WriteString(text[:cuts[ci+1]])
					want = j.Valid()
					if s.Kind(p) == KindJSONComplete {
						want = j.Complete()
					}
				default:
					for i := lo; i < hi; i++ {
						want = want || ev[p][i]
					}
				}
				if v.Has(p) != want {
					t.Fatalf("text %q cuts %v: chunk %d %q: %s = %v, want %v (bytewise %v)",
						text, cuts, ci, texts[ci], s.Name(p), v.Has(p), want, ev[p])
				}
			}
		}
	}
	for k := 0; k <= n; k++ {
		check([]int{0, k, n})
	}
	for m := 0; m < 8; m++ {
		cuts := []int{0}
		for pos := 0; pos < n; {
			pos = min(n, pos+1+r.Intn(7))
			cuts = append(cuts, pos)
		}
		if len(cuts) == 1 {
			cuts = append(cuts, n)
		}
		check(cuts)
	}
}

const testSetDoc = `{"props":[
 {"name":"email","kind":"email"},
 {"name":"phone","kind":"phone"},
 {"name":"card","kind":"card"},
 {"name":"kw","kind":"keyword","keywords":["abc","bca","cab","ab","@@","é"]},
 {"name":"kwi","kind":"keyword","keywords":["Hello","LO W"],"ignore_case":true},
 {"name":"re1","kind":"regex","pattern":"a[bc]{2,3}d","max_len":6},
 {"name":"re2","kind":"regex","pattern":"[0-9]{3}-[0-9]{2}","max_len":6},
 {"name":"re3","kind":"regex","pattern":"(?i)x+y","max_len":5},
 {"name":"re4","kind":"regex","pattern":"é.","max_len":4},
 {"name":"re5","kind":"regex","pattern":"(?:1|b)(?i:ab)-[a-c]{2}","max_len":7},
 {"name":"jp","kind":"json_prefix"},
 {"name":"jc","kind":"json_complete"},
 {"name":"fin","kind":"final"}
]}`

func randText(r *rand.Rand, n int) string {
	pieces := []string{"a", "b", "c", "d", "x", "X", "y", "@", ".", "-", " ", "(", ")", "+", "0", "1", "4", "5", "7", "9",
		"é", "\xc3", "o", "m", "e", "hello", "low", "abcd", "123-45", "bob@ex.com", "4111 1111 1111 1111",
		"+1 (555) 123-4567", "bAb-", "1ab-c", "xab-", "{", "}", "[", "]", `"`, ":", ",", "true", "12", "\n"}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

func TestSplitsAtEveryPosition(t *testing.T) {
	s := mustParse(t, testSetDoc)
	r := rand.New(rand.NewSource(2))
	for _, text := range []string{
		"", "mail bob@example.com now", "call +1 (555) 123-4567.", "card 4111 1111 1111 1111 ok", "abcabcab",
		"HeLLo wOrLd, hello", "xxxXy abccd 123-45", `{"a":[1,2]}`, "éé é\xc3", "5551234567", "4111111111111111x",
	} {
		checkSplits(t, s, text, r)
	}
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for i := 0; i < iters; i++ {
		checkSplits(t, s, randText(r, 1+r.Intn(50)), r)
	}
}

// naiveSubstring reports, for each end position p (1..n) as index p-1, whether some
// substring text[a:p] with p-a <= maxLen matches re entirely.
func naiveSubstring(re *regexp.Regexp, text string, maxLen int) []bool {
	full := regexp.MustCompile(`^(?:` + re.String() + `)$`)
	out := make([]bool, len(text))
	for p := 1; p <= len(text); p++ {
		for a := max(0, p-maxLen); a < p; a++ {
			if full.MatchString(text[a:p]) {
				out[p-1] = true
				break
			}
		}
	}
	return out
}

func TestRegexAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, tc := range []struct {
		pattern string
		maxLen  int
	}{
		{"a[bc]{2,3}d", 6}, {"[0-9]{3}-[0-9]{2}", 6}, {"(?i)x+y", 40}, {"ab|bc|cab", 3}, {"(a|b)c*d", 50},
		{"[^ ]@[^ ]", 3}, {"(?:ab){2}", 4}, {"(?:b|x)(?i:ab)-[a-c]{2}", 7}, {"(?:a|b)[xy]+c", 9},
	} {
		s := mustParse(t, fmt.Sprintf(`{"props":[{"name":"r","kind":"regex","pattern":%q,"max_len":%d}]}`, tc.pattern, tc.maxLen))
		re := regexp.MustCompile(tc.pattern)
		for i := 0; i < 200; i++ {
			text := randText(r, 1+r.Intn(40))
			// Only ASCII texts: the naive reference considers every byte an end position.
			text = strings.Map(func(c rune) rune {
				if c > 127 {
					return 'z'
				}
				return c
			}, text)
			want := naiveSubstring(re, text, tc.maxLen)
			ev := bytewise(t, s, text)
			for p := 0; p < len(text); p++ {
				if ev[0][p] != want[p] {
					t.Fatalf("%q on %q: byte %d: got %v want %v", tc.pattern, text, p, ev[0][p], want[p])
				}
			}
			if ev[0][len(text)] {
				t.Fatalf("%q on %q: event at the end position", tc.pattern, text)
			}
		}
	}
}

func TestKeywordAgainstNaive(t *testing.T) {
	kws := []string{"abc", "bca", "cab", "ab", "@@", "a", "Hello"}
	s := mustParse(t, `{"props":[
		{"name":"k0","kind":"keyword","keywords":["abc","bca"]},
		{"name":"k1","kind":"keyword","keywords":["cab","ab"]},
		{"name":"k2","kind":"keyword","keywords":["@@","a"]},
		{"name":"k3","kind":"keyword","keywords":["hello"],"ignore_case":true}]}`)
	groups := [][]string{{"abc", "bca"}, {"cab", "ab"}, {"@@", "a"}, {"hello"}}
	_ = kws
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 300; i++ {
		text := randText(r, 1+r.Intn(40))
		ev := bytewise(t, s, text)
		for g, words := range groups {
			for p := 1; p <= len(text); p++ {
				want := false
				for _, w := range words {
					if p >= len(w) {
						seg := text[p-len(w) : p]
						if seg == w || g == 3 && strings.EqualFold(seg, w) {
							want = true
						}
					}
				}
				if ev[g][p-1] != want {
					t.Fatalf("group %v on %q: byte %d: got %v want %v", words, text, p-1, ev[g][p-1], want)
				}
			}
		}
	}
}

var emailRef = regexp.MustCompile(`(?:^|[^A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2}$`)

// naiveEmail fires at byte p-1 when text[:p] ends with a complete address and the address's
// '@' has not fired before.
func naiveEmail(text string) []bool {
	out := make([]bool, len(text))
	fired := map[int]bool{}
	for p := 1; p <= len(text); p++ {
		if emailRef.MatchString(text[:p]) {
			at := strings.LastIndexByte(text[:p], '@')
			if !fired[at] {
				fired[at] = true
				out[p-1] = true
			}
		}
	}
	return out
}

func TestEmail(t *testing.T) {
	s := mustParse(t, `{"props":[{"name":"e","kind":"email"}]}`)
	for _, tc := range []struct {
		text string
		want int // number of addresses
	}{
		{"bob@example.com", 1}, {"write to a.b+c@mail.example.co.uk please", 1}, {"x@y.io and z@w.de", 2},
		{"user_name%x@sub-domain.example.org", 1}, {"@example.com", 0}, {"bob@", 0}, {"bob@example", 0},
		{"bob@example.c", 0}, {"bob@.com", 0}, {"bob@example..com", 0}, {"bob@exa_mple.com", 0}, {"bob@example.c0m", 0},
		{strings.Repeat("a", 64) + "@example.com", 1}, {strings.Repeat("a", 65) + "@example.com", 0},
		{"a@b@c.de", 1}, {"me@host.1x", 0},
	} {
		ev := bytewise(t, s, tc.text)
		got := 0
		for _, b := range ev[0] {
			if b {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("%q: %d addresses, want %d", tc.text, got, tc.want)
		}
	}
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 500; i++ {
		text := randText(r, 1+r.Intn(60))
		want := naiveEmail(text)
		ev := bytewise(t, s, text)
		for p := range want {
			if ev[0][p] != want[p] {
				t.Fatalf("%q: byte %d: got %v want %v", text, p, ev[0][p], want[p])
			}
		}
	}
}

func TestLuhn(t *testing.T) {
	// Test numbers published by the card networks for integration testing (e.g. Stripe's
	// testing documentation) are Luhn-valid; changing one digit breaks the check.
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"4242424242424242", true}, {"4111 1111 1111 1111", true}, {"5555-5555-5555-4444", true},
		{"378282246310005", true}, {"6011111111111117", true}, {"79927398713", true},
		{"4242424242424241", false}, {"79927398710", false}, {"1234567812345678", false}, {"", false}, {"0", true},
	} {
		if got := Luhn(tc.s); got != tc.want {
			t.Errorf("Luhn(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func count(ev []bool) int {
	n := 0
	for _, b := range ev {
		if b {
			n++
		}
	}
	return n
}

func TestPhoneAndCard(t *testing.T) {
	s := mustParse(t, `{"props":[{"name":"phone","kind":"phone"},{"name":"card","kind":"card"}]}`)
	for _, tc := range []struct {
		text        string
		phone, card int
	}{
		{"call +1 (555) 123-4567 today", 1, 0},
		{"call 555-123-4567.", 1, 0},
		{"+44 20 7946 0958", 1, 0},
		{"555.123.4567", 1, 0},
		{"5551234567", 1, 0},
		{"order 12345", 0, 0},
		{"555-1234", 0, 0},
		{"5551234567x", 0, 0},
		{"id5551234567", 0, 0},
		{"12345678901234567890", 0, 0},
		{"pay with 4111 1111 1111 1111 now", 0, 1},
		{"4242-4242-4242-4242.", 0, 1},
		{"4242424242424242", 0, 1},
		{"4242424242424241", 0, 0},
		{"4242.4242.4242.4242", 0, 0},
		{"378282246310005", 1, 1},
		{"4242  4242 4242 4242", 0, 0},
		{"1 2 3", 0, 0},
		{"call 555-123-4567 or 555-765-4321", 2, 0},
		{"(555)   123-4567", 0, 0},
	} {
		ev := bytewise(t, s, tc.text)
		if p, c := count(ev[0]), count(ev[1]); p != tc.phone || c != tc.card {
			t.Errorf("%q: phone %d card %d, want %d %d", tc.text, p, c, tc.phone, tc.card)
		}
	}
	// A number is decided when it ends: at the byte after it, or at the end of the response.
	ev := bytewise(t, s, "4111111111111111, ok")
	if !ev[1][16] || count(ev[1]) != 1 {
		t.Errorf("card should be decided at the comma after it (byte 16): %v", ev[1])
	}
	ev = bytewise(t, s, "4111111111111111")
	if !ev[1][16] || count(ev[1]) != 1 {
		t.Errorf("card at the end of the text should be decided at the end position: %v", ev[1])
	}
}

func toolChunks(t *testing.T, s *Set, chunks []wire.Chunk) []Valuation {
	t.Helper()
	st := s.NewStream()
	var out []Valuation
	for i := range chunks {
		chunks[i].Seq = uint64(i)
		v, err := st.Next(nil, &chunks[i])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestToolCalls(t *testing.T) {
	s := mustParse(t, `{"props":[{"name":"start","kind":"tool_call_start"},{"name":"end","kind":"tool_call_end"},
		{"name":"bad","kind":"tool_args_invalid"}]}`)
	show := func(vs []Valuation) string {
		var b strings.Builder
		for _, v := range vs {
			for p := 0; p < 3; p++ {
				if v.Has(p) {
					b.WriteByte("seb"[p])
				} else {
					b.WriteByte('.')
				}
			}
			b.WriteByte('|')
		}
		return b.String()
	}
	tcd := func(i int, id, name, args string) []wire.ToolCallDelta {
		return []wire.ToolCallDelta{{Index: i, ID: id, Name: name, Arguments: args}}
	}
	for _, tc := range []struct {
		name   string
		chunks []wire.Chunk
		want   string
	}{
		{"complete json ends the call", []wire.Chunk{
			{ToolCalls: tcd(0, "c1", "get", "")}, {ToolCalls: tcd(0, "", "", `{"city":`)}, {ToolCalls: tcd(0, "", "", `"Paris"}`)},
			{Final: true}}, "s..|...|.e.|...|"},
		{"next call ends the previous", []wire.Chunk{
			{ToolCalls: tcd(0, "c1", "a", `{"x":1`)}, {ToolCalls: tcd(1, "c2", "b", `{}`)}, {Final: true}},
			"s..|seb|...|"},
		{"final ends open calls", []wire.Chunk{{ToolCalls: tcd(0, "c1", "a", "")}, {Final: true}}, "s..|.e.|"},
		{"invalid at the offending chunk", []wire.Chunk{
			{ToolCalls: tcd(0, "c1", "a", `{"x":`)}, {ToolCalls: tcd(0, "", "", `1,,`)}, {ToolCalls: tcd(0, "", "", `}`)}, {Final: true}},
			"s..|..b|...|.e.|"},
		{"garbage after a complete call", []wire.Chunk{
			{ToolCalls: tcd(0, "c1", "a", `{}`)}, {ToolCalls: tcd(0, "", "", ` x`)}, {Final: true}}, "se.|..b|...|"},
		{"two deltas in one chunk", []wire.Chunk{
			{ToolCalls: append(tcd(0, "c1", "a", `{}`), tcd(1, "c2", "b", `[1]`)...)}, {Final: true}}, "se.|...|"},
	} {
		if got := show(toolChunks(t, s, tc.chunks)); got != tc.want {
			t.Errorf("%s: got %s want %s", tc.name, got, tc.want)
		}
	}
}

func TestToolCallArgumentSplits(t *testing.T) {
	// The end and invalid events follow the argument bytes wherever the deltas split them.
	s := mustParse(t, `{"props":[{"name":"end","kind":"tool_call_end"},{"name":"bad","kind":"tool_args_invalid"}]}`)
	for _, args := range []string{`{"a":[1,2,{"b":"c}"}]}`, `{"a":1}}`, `{"a" 1}`} {
		var j JSONPrefix
		endAt, badAt := -1, -1
		for i := 0; i < len(args); i++ {
			j.WriteString(args[i : i+1])
			if !j.Valid() && badAt < 0 {
				badAt = i
			}
			if j.Closed() && endAt < 0 {
				endAt = i
			}
		}
		for k := 0; k <= len(args); k++ {
			chunks := []wire.Chunk{
				{ToolCalls: []wire.ToolCallDelta{{Index: 0, ID: "c", Name: "f", Arguments: args[:k]}}},
				{ToolCalls: []wire.ToolCallDelta{{Index: 0, Arguments: args[k:]}}},
				{Final: true},
			}
			vs := toolChunks(t, s, chunks)
			chunkOf := func(pos int) int {
				if pos < 0 {
					return -1
				}
				if pos < k {
					return 0
				}
				return 1
			}
			for ci, v := range vs {
				wantEnd := chunkOf(endAt) == ci || endAt < 0 && ci == 2
				wantBad := chunkOf(badAt) == ci
				if v.Has(0) != wantEnd || v.Has(1) != wantBad {
					t.Fatalf("%q split at %d: chunk %d end=%v bad=%v, want %v %v", args, k, ci, v.Has(0), v.Has(1), wantEnd, wantBad)
				}
			}
		}
	}
}

func TestSignals(t *testing.T) {
	s := mustParse(t, `{"props":[
		{"name":"lowlp","kind":"signal","signal":"min_logprob","op":"<","value":-5},
		{"name":"meanlp","kind":"signal","signal":"mean_logprob","op":">=","value":-1},
		{"name":"ent","kind":"signal","signal":"entropy","op":">","value":1.0},
		{"name":"gap","kind":"signal","signal":"gap_ms","op":">","value":500},
		{"name":"len","kind":"signal","signal":"chunk_len","op":"==","value":3},
		{"name":"fin","kind":"finish","values":["length"]}]}`)
	t0 := time.Unix(1000, 0)
	// Four equally likely alternatives: entropy ln 4 = 1.386 nats; two: ln 2 = 0.693.
	four := []wire.TopLogprob{{Text: "a", Logprob: -1.386}, {Text: "b", Logprob: -1.386}, {Text: "c", Logprob: -1.386}, {Text: "d", Logprob: -1.386}}
	two := []wire.TopLogprob{{Text: "a", Logprob: -0.693}, {Text: "b", Logprob: -0.693}}
	chunks := []wire.Chunk{
		{Time: t0, Text: "abc", Tokens: []wire.Token{{Text: "abc", Logprob: -0.5, Top: two}}},
		{Time: t0.Add(600 * time.Millisecond), Text: "de", Tokens: []wire.Token{{Text: "d", Logprob: -6, Top: four}, {Text: "e", Logprob: -0.1}}},
		{Time: t0.Add(700 * time.Millisecond), Text: "fgh", Final: true, FinishReason: "length"},
	}
	vs := toolChunks(t, s, chunks)
	want := []string{"meanlp len", "lowlp ent gap", "len fin"}
	for i, v := range vs {
		var names []string
		for _, p := range v.Indices(nil) {
			names = append(names, s.Name(p))
		}
		if got := strings.Join(names, " "); got != want[i] {
			t.Errorf("chunk %d: %q, want %q", i, got, want[i])
		}
	}
	if h, _ := topEntropy(four); h < 1.3862 || h > 1.3863 {
		t.Errorf("entropy of four equal alternatives %v, want ln 4 = 1.38629", h)
	}
}

func TestOrder(t *testing.T) {
	st := Default().NewStream()
	if _, err := st.Next(nil, &wire.Chunk{Seq: 1}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap: %v", err)
	}
	if _, err := st.Next(nil, &wire.Chunk{Seq: 0, Final: true}); err != nil {
		t.Fatal(err)
	}
	var oe *OrderError
	if _, err := st.Next(nil, &wire.Chunk{Seq: 1}); !errors.As(err, &oe) {
		t.Fatalf("after final: %v", err)
	}
	st.Reset()
	if _, err := st.Next(nil, &wire.Chunk{Seq: 0}); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}

var wireChunk0 = wire.Chunk{Seq: 0, Text: `Mail bob@example.com {"a": 4111 1111 1111 1111} sk-`, Final: true}

func TestLookupAndProject(t *testing.T) {
	s := mustParse(t, testSetDoc)
	idx, err := s.Lookup([]string{"fin", "email"})
	if err != nil {
		t.Fatal(err)
	}
	v := make(Valuation, s.Words())
	v.Set(idx[0])
	if got := v.Project(idx); got != 1 {
		t.Errorf("Project = %b, want 01", got)
	}
	v.Set(idx[1])
	if got := v.Project(idx); got != 3 {
		t.Errorf("Project = %b, want 11", got)
	}
	if _, err := s.Lookup([]string{"nope"}); !errors.Is(err, ErrUnknownProp) {
		t.Errorf("unknown: %v", err)
	}
}

// FuzzStream checks the boundary semantics on arbitrary text: every split of the text gives
// the same evidence as feeding it byte by byte.
func FuzzStream(f *testing.F) {
	for _, s := range []string{"bob@example.com", "+1 (555) 123-4567.", "4111 1111 1111 1111", "HeLLo abccd é\xc3", `{"a":[1]}`} {
		f.Add(s, int64(1))
	}
	s := mustParse(f, testSetDoc)
	f.Fuzz(func(t *testing.T, text string, seed int64) {
		if len(text) > 200 {
			return
		}
		checkSplits(t, s, text, rand.New(rand.NewSource(seed)))
	})
}

func TestRegexUnicodeFolding(t *testing.T) {
	// (?i)k also matches the Kelvin sign U+212A and (?i)s the long s U+017F; the literal
	// prefilter must not hide those matches.
	s := mustParse(t, `{"props":[{"name":"k","kind":"regex","pattern":"(?i)key-[0-9]","max_len":16},
		{"name":"s","kind":"regex","pattern":"(?i)pass[0-9]","max_len":16}]}`)
	for _, text := range []string{"the \u212Aey-1 is", "KEY-2", "pa\u017Fs3"} {
		vs := run(t, s, []string{text})
		if !vs[0].Has(0) && !vs[0].Has(1) {
			t.Errorf("%q: no match", text)
		}
	}
}

// FuzzRegex checks the reversed-window search and the literal prefilter against the naive
// definition on arbitrary patterns and texts: a regex proposition holds at byte p-1 iff some
// substring text[a:p] (a, p on rune boundaries) matches the whole pattern. With max_len at
// least the text's length every match is within the guarantee.
func FuzzRegex(f *testing.F) {
	for _, tc := range [][2]string{
		{"(?i)key-[0-9]", "the \u212Aey-1 is"}, {"(sk|pk)-[a-z]{3}", "risk-abc sk-abcd"}, {"a+b", "aaab ab b"},
		{"é.", "éé é"}, {"[^a]x", "ax bx"}, {"(?:ab|cd){2}", "abcdab"}, {"x(?i:Y)z", "xyz xYz"},
	} {
		f.Add(tc[0], tc[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		if len(text) > 64 || len(pattern) > 64 {
			return
		}
		text = strings.ToValidUTF8(text, "?")
		doc := fmt.Sprintf(`{"props":[{"name":"r","kind":"regex","pattern":%q,"max_len":%d}]}`, pattern, max(len(text), 1))
		s, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		full, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			t.Fatalf("pattern %q compiles for the stream but not anchored: %v", pattern, err)
		}
		ev := bytewise(t, s, text)
		for p := 1; p <= len(text); p++ {
			want := false
			if utf8.RuneStart(text[p%len(text)]) || p == len(text) {
				for a := 0; a < p && !want; a++ {
					if utf8.RuneStart(text[a]) && full.MatchString(text[a:p]) {
						want = true
					}
				}
			}
			if ev[0][p-1] != want {
				t.Fatalf("%q on %q: byte %d: got %v want %v", pattern, text, p-1, ev[0][p-1], want)
			}
		}
		checkSplits(t, s, text, rand.New(rand.NewSource(int64(len(text)))))
	})
}

func TestTopEntropyAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	for i := 0; i < 2000; i++ {
		top := make([]wire.TopLogprob, 1+r.Intn(20))
		for j := range top {
			top[j].Logprob = -r.ExpFloat64() * 3
			if r.Intn(5) == 0 && j > 0 {
				top[j].Logprob = top[j-1].Logprob // ties, including ties at the maximum
			}
		}
		var z, h float64
		for _, x := range top {
			z += math.Exp(x.Logprob)
		}
		for _, x := range top {
			p := math.Exp(x.Logprob) / z
			h -= p * math.Log(p)
		}
		got, ok := topEntropy(top)
		if !ok || math.Abs(got-h) > 1e-12 {
			t.Fatalf("%v: entropy %v, naive %v", top, got, h)
		}
	}
	if _, ok := topEntropy(nil); ok {
		t.Error("no alternatives should give no entropy")
	}
}
