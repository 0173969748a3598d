package rules

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// errAssertion is returned for patterns with zero-width assertions.
var errAssertion = errors.New("anchors and word boundaries (^ $ \\A \\z \\b \\B) are not supported on a stream: " +
	"whether they hold at a match's edge depends on text outside the match")

// compileRegex checks a pattern and compiles the reversed expression the stream searches
// with. Searching the reversed window makes "is there a match that ends in the new text"
// one leftmost search: the leftmost match start in the reversed window is the rightmost
// match end in the window.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	fwd, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if fwd.MatchString("") {
		return nil, errors.New("pattern matches the empty string, so it would hold on every chunk")
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if err := reverseSyntax(re); err != nil {
		return nil, err
	}
	return regexp.Compile(re.String())
}

// reverseSyntax turns re into an expression that matches exactly the reversed strings
// (reversed rune by rune).
func reverseSyntax(re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return errAssertion
	case syntax.OpLiteral:
		r := re.Rune
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	case syntax.OpConcat:
		s := re.Sub
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
	}
	for _, sub := range re.Sub {
		if err := reverseSyntax(sub); err != nil {
			return err
		}
	}
	return nil
}

// reverseRunes writes src reversed rune by rune into dst (same length). Bytes that are not
// part of a valid UTF-8 sequence become 0xFF, which the regexp engine reads, like the
// original byte, as one U+FFFD; this keeps reversed invalid bytes from forming a valid rune.
func reverseRunes(dst, src []byte) {
	n := len(src)
	for i := 0; i < n; {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			dst[n-1-i] = 0xFF
			i++
			continue
		}
		copy(dst[n-i-size:n-i], src[i:i+size])
		i += size
	}
}

// incompleteSuffix returns how many bytes at the end of b begin a UTF-8 sequence that more
// bytes could still complete.
func incompleteSuffix(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a leading byte: is its sequence longer than what we have?
			need := 0
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			default:
				need = 2
			}
			if need > k && utf8.FullRune(b[len(b)-k:]) == false {
				return k
			}
			return 0
		}
	}
	return 0
}

// runeStart moves i back to the start of the rune containing b[i] (at most 3 bytes).
func runeStart(b []byte, i int) int {
	for k := 0; k < 3 && i > 0 && i < len(b) && !utf8.RuneStart(b[i]); k++ {
		i--
	}
	return i
}
