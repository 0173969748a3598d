package compare

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTokenizeNormalises(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \n\t", nil},
		{"Hello, World!", []string{"hello", ",", "world", "!"}},
		{"don't  STOP\u00a0now...", []string{"don", "'", "t", "stop", "now", ".", ".", "."}},
		{"Größe 500€ café", []string{"größe", "500", "€", "café"}},
		{"ÉCOLE", []string{"école"}},
		{"a\u200bb", []string{"a", "b"}}, // zero-width space (format character) separates
		{strings.Repeat("x", MaxWordRunes+3), []string{strings.Repeat("x", MaxWordRunes), "xxx"}},
	} {
		if got := Tokenize(nil, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// streamTokens feeds pieces through one tokenizer, as a session does across chunks.
func streamTokens(pieces []string) []string {
	var tk tokenizer
	c := &collector{}
	for _, p := range pieces {
		for _, r := range p {
			tk.rune(r, c)
		}
	}
	tk.flush(c)
	return c.toks
}

// splitRunes cuts s at the given rune-boundary byte offsets.
func splitAt(s string, cuts []int) []string {
	var out []string
	prev := 0
	for _, c := range cuts {
		out = append(out, s[prev:c])
		prev = c
	}
	return append(out, s[prev:])
}

func TestTokenizerIndependentOfChunking(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	alphabet := []rune("abcXYZ09 ,.!?'\n\té€ßÄ日本\u0301\u200b-_")
	for it := 0; it < 500; it++ {
		var b strings.Builder
		for range r.IntN(200) {
			if r.IntN(40) == 0 {
				b.WriteString(strings.Repeat("q", r.IntN(150))) // long words cut at MaxWordRunes
			}
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		want := Tokenize(nil, s)
		var bounds []int
		for i := range s {
			if i > 0 {
				bounds = append(bounds, i)
			}
		}
		var cuts []int
		for _, c := range bounds {
			if r.IntN(4) == 0 {
				cuts = append(cuts, c)
			}
		}
		if got := streamTokens(splitAt(s, cuts)); !slices.Equal(got, want) {
			t.Fatalf("%q cut at %v: %q, whole: %q", s, cuts, got, want)
		}
		for _, tok := range want {
			checkToken(t, tok)
		}
	}
}

func checkToken(t *testing.T, tok string) {
	t.Helper()
	if tok == "" || utf8.RuneCountInString(tok) > MaxWordRunes {
		t.Fatalf("token %q: empty or too long", tok)
	}
	for _, r := range tok {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			t.Fatalf("token %q holds a separator", tok)
		}
	}
	if Tokenize(nil, tok)[0] != tok {
		t.Fatalf("token %q does not normalise to itself", tok)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "a\u0301b", "\xff\xfe", strings.Repeat("z", 200), "日本語 テキスト", "x\u200by"} {
		f.Add(s, uint16(3))
	}
	f.Fuzz(func(t *testing.T, s string, seed uint16) {
		if !utf8.ValidString(s) {
			// Chunks are JSON strings: they arrive as valid UTF-8.
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		want := Tokenize(nil, s)
		r := rand.New(rand.NewPCG(uint64(seed), 0))
		var cuts []int
		for i := range s {
			if i > 0 && r.IntN(3) == 0 {
				cuts = append(cuts, i)
			}
		}
		if got := streamTokens(splitAt(s, cuts)); !slices.Equal(got, want) {
			t.Fatalf("%q cut at %v: %q, whole: %q", s, cuts, got, want)
		}
		for _, tok := range want {
			if tok == "" || strings.ContainsAny(tok, " \t\n") {
				t.Fatalf("token %q", tok)
			}
		}
	})
}
