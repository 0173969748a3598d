package rules

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// errAssertion is returned for patterns with zero-width assertions.
var errAssertion = errors.New("anchors and word boundaries (^ $ \\A \\z \\b \\B) are not supported on a stream: " +
	"whether they hold at a match's edge depends on text outside the match")

// compileRegex checks a pattern and compiles the reversed expression the stream searches
// with, and the literals every match contains (nil if unknown). Searching the reversed window makes "is there a match that ends in the new text"
// one leftmost search: the leftmost match start in the reversed window is the rightmost
// match end in the window.
func compileRegex(pattern string) (*regexp.Regexp, []string, error) {
	fwd, err := regexp.Compile(pattern)
	if err != nil {
		return nil, nil, err
	}
	if fwd.MatchString("") {
		return nil, nil, errors.New("pattern matches the empty string, so it would hold on every chunk")
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, nil, err
	}
	lits := requiredLiterals(re)
	for _, l := range lits {
		if l == "" {
			lits = nil
			break
		}
	}
	if err := reverseSyntax(re); err != nil {
		return nil, nil, err
	}
	rev, err := regexp.Compile(re.String())
	return rev, lits, err
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
			if need > k && !utf8.FullRune(b[len(b)-k:]) {
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

// requiredLiterals returns strings of which every match of re contains at least one, or nil
// if it cannot tell. The stream uses them as a prefilter: while none of them occurred in the
// window, no match can end in the new text and the regex is not run.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			// The prefilter folds ASCII only: a rune whose case orbit leaves ASCII (k and the
			// Kelvin sign, s and the long s) could match bytes it would not see.
			for _, r := range re.Rune {
				for f := unicode.SimpleFold(r); ; f = unicode.SimpleFold(f) {
					if f >= utf8.RuneSelf || r >= utf8.RuneSelf {
						return nil
					}
					if f == r {
						break
					}
				}
			}
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return requiredLiterals(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		consider := func(l []string) {
			if l == nil {
				return
			}
			shortest := len(l[0])
			for _, s := range l {
				shortest = min(shortest, len(s))
			}
			if shortest > bestLen {
				best, bestLen = l, shortest
			}
		}
		// Runs of subexpressions that match finitely many strings are multiplied out, so
		// "(sk|pk)-" yields "sk-" and "pk-" rather than the weaker "sk", "pk".
		var run []string
		for _, sub := range re.Sub {
			if e, ok := exactStrings(sub); ok {
				if run == nil {
					run = e
				} else if run = product(run, e); run == nil {
					run = e
				}
				continue
			}
			consider(run)
			run = nil
			consider(requiredLiterals(sub))
		}
		consider(run)
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			l := requiredLiterals(sub)
			if l == nil {
				return nil
			}
			all = append(all, l...)
		}
		return all
	}
	return nil
}

// maxExact bounds the sets exactStrings and product build.
const maxExact = 64

// exactStrings returns the finite set of strings re matches, if it is small and exact.
func exactStrings(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if l := requiredLiterals(re); l != nil {
			return l, true
		}
	case syntax.OpCapture:
		return exactStrings(re.Sub[0])
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == 8 {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, len(out) > 0
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			e, ok := exactStrings(sub)
			if !ok || len(out)+len(e) > maxExact {
				return nil, false
			}
			out = append(out, e...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			e, ok := exactStrings(sub)
			if !ok {
				return nil, false
			}
			if out = product(out, e); out == nil {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// product returns every a+b, or nil if there would be more than maxExact.
func product(as, bs []string) []string {
	if len(as)*len(bs) > maxExact {
		return nil
	}
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}
