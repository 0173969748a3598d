package compare

import (
	"unicode"
	"unicode/utf8"
)

// MaxWordRunes is the longest word token: a longer run of letters and digits (a base64 blob, a
// hash) is cut into pieces of this many runes, counted from the start of the run, so the cut
// does not depend on where chunks begin.
const MaxWordRunes = 64

// The normalisation shared by responses and references:
//   - a word is a maximal run of letters, digits and combining marks, lower-cased (Unicode
//     simple case folding via unicode.ToLower), cut every MaxWordRunes runes;
//   - every other printable rune (punctuation, symbols, U+FFFD) is a token of its own;
//   - white space and control characters separate tokens and are dropped.
//
// The token sequence depends only on the text, never on where it was split into chunks or
// model tokens: a chunk boundary inside a word holds the word back until the next chunk says
// whether it continues.
type class uint8

const (
	classSep class = iota
	classWord
	classPunct
)

var asciiClass = func() (t [utf8.RuneSelf]class) {
	for r := range t {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			t[r] = classWord
		case r <= ' ' || r == 0x7f:
			t[r] = classSep
		default:
			t[r] = classPunct
		}
	}
	return t
}()

func classify(r rune) class {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return classWord
	case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		return classSep
	}
	return classPunct
}

// tokenSink receives the tokens a tokenizer produces.
type tokenSink interface {
	// begin says a token starts at the current rune.
	begin()
	// end delivers a complete token; tok is only valid during the call.
	end(tok []byte)
}

// tokenizer is the streaming normaliser. Its only state between writes is the word being
// built.
type tokenizer struct {
	word  []byte
	runes int
	one   [utf8.UTFMax]byte
}

// rune consumes one rune and returns its class.
func (t *tokenizer) rune(r rune, k tokenSink) class {
	var c class
	if r < utf8.RuneSelf {
		c = asciiClass[r]
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
	} else {
		c = classify(r)
		r = unicode.ToLower(r)
	}
	switch c {
	case classSep:
		t.flush(k)
	case classWord:
		if t.runes == MaxWordRunes {
			t.flush(k)
		}
		if t.runes == 0 {
			k.begin()
		}
		t.word = utf8.AppendRune(t.word, r)
		t.runes++
	default:
		t.flush(k)
		k.begin()
		k.end(utf8.AppendRune(t.one[:0], r))
	}
	return c
}

// flush completes the pending word, if any: the text ended or a separator arrived.
func (t *tokenizer) flush(k tokenSink) {
	if t.runes > 0 {
		k.end(t.word)
		t.word, t.runes = t.word[:0], 0
	}
}

type collector struct{ toks []string }

func (c *collector) begin()         {}
func (c *collector) end(tok []byte) { c.toks = append(c.toks, string(tok)) }

// Tokenize appends the normalised tokens of text to dst: the same sequence a response
// carrying text produces, however it is chunked.
func Tokenize(dst []string, text string) []string {
	var t tokenizer
	c := collector{toks: dst}
	for _, r := range text {
		t.rune(r, &c)
	}
	t.flush(&c)
	return c.toks
}
