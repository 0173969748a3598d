package rules

// Byte classes of the PII scanners, looked up once per byte.
const (
	clDigit  = 1 << iota // 0-9
	clLetter             // A-Z a-z
	clWord               // letters, digits, '_'
	clLocal              // may appear in an e-mail local part: [A-Za-z0-9._%+-]
	clStart              // may start a number run: digit, '+', '('
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if b >= '0' && b <= '9' {
			t[c] |= clDigit | clWord | clLocal | clStart
		}
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' {
			t[c] |= clLetter | clWord | clLocal
		}
		switch b {
		case '_':
			t[c] |= clWord | clLocal
		case '.', '%', '+', '-':
			t[c] |= clLocal
		}
		if b == '+' || b == '(' {
			t[c] |= clStart
		}
	}
	return t
}()

func isDigit(c byte) bool  { return byteClass[c]&clDigit != 0 }
func isLetter(c byte) bool { return byteClass[c]&clLetter != 0 }
func isWord(c byte) bool   { return byteClass[c]&clWord != 0 }

// isLocal reports whether c may appear in the local part of an e-mail address.
func isLocal(c byte) bool { return byteClass[c]&clLocal != 0 }

// emailState recognises e-mail addresses byte by byte. It fires once per '@', at the first
// byte at which the text ends with local@label(.label)*.tt: a local part of 1..64 bytes of
// [A-Za-z0-9._%+-] not preceded by such a byte, domain labels of [A-Za-z0-9-], and a last
// label of two letters. So "bob@example.com" fires on the 'o' of "co": from that byte on the
// address is certainly in the text, whatever follows.
type emailState struct {
	localRun int // consecutive local-part bytes just read, capped at 65
	inDomain bool
	labelLen int
	dots     int
	alpha    bool // the current label is all letters so far
	fired    bool
}

const maxLocalPart = 64

func (e *emailState) step(c byte) bool {
	if !e.inDomain && c != '@' {
		// Outside a domain only the local-part run matters: the common case of prose.
		if isLocal(c) {
			if e.localRun <= maxLocalPart {
				e.localRun++
			}
		} else {
			e.localRun = 0
		}
		return false
	}
	fire := false
	if e.inDomain {
		switch {
		case isLetter(c) || isDigit(c) || c == '-':
			e.labelLen++
			e.alpha = e.alpha && isLetter(c)
			if !e.fired && e.dots > 0 && e.alpha && e.labelLen == 2 {
				e.fired = true
				fire = true
			}
		case c == '.' && e.labelLen > 0:
			e.dots++
			e.labelLen = 0
			e.alpha = true
		default:
			e.inDomain = false
		}
	}
	switch {
	case c == '@':
		e.inDomain = e.localRun >= 1 && e.localRun <= maxLocalPart
		e.labelLen, e.dots, e.alpha, e.fired = 0, 0, true, false
		e.localRun = 0
	case isLocal(c):
		if e.localRun <= maxLocalPart {
			e.localRun++
		}
	default:
		e.localRun = 0
	}
	return fire
}

// Number-run limits: phone numbers have 10–15 digits (15 is E.164's maximum), payment cards
// 13–19 (ISO/IEC 7812).
const (
	phoneMinDigits = 10
	phoneMaxDigits = 15
	cardMinDigits  = 13
	cardMaxDigits  = 19
	maxRunSeps     = 2 // separators allowed in a row, e.g. ") "
)

// numberState recognises phone and card numbers byte by byte. A run starts at a digit, '+'
// or '(' not preceded by [A-Za-z0-9_]; it continues over digits and the separators
// ' ' '-' '.' '(' ')' (at most two in a row) and ends at any other byte, at a third
// separator in a row, or at the end of the text. A run that ends in a letter, digit or '_'
// directly after a digit (as in "5551234567x") is not a number. Because a longer run may turn
// a phone number into something else, both detectors decide when the run has ended: on the
// byte after it, or at the end of the response.
type numberState struct {
	prev    byte
	in      bool
	digits  int
	seps    int
	lastSep byte
	badSep  bool // a separator between digits other than a single ' ' or '-'
	card    bool // the run may be a card (no '+' or '(' opening it)
	luhn0   int  // Luhn sum if the last digit read is the check digit
	luhn1   int  // Luhn sum if one more digit follows
}

// numberEvent is what ended a run.
type numberEvent uint8

const (
	numPhone numberEvent = 1 << iota
	numCard
)

func luhnDouble(d int) int {
	d *= 2
	if d > 9 {
		d -= 9
	}
	return d
}

// step feeds one byte and returns the kinds of number that a run ending at this byte is.
func (n *numberState) step(c byte) numberEvent {
	if !n.in && byteClass[c]&clStart == 0 {
		n.prev = c // the common case of prose: nothing starts here
		return 0
	}
	var ev numberEvent
	if n.in {
		switch {
		case isDigit(c):
			if n.digits > 0 && n.seps > 0 && (n.seps > 1 || n.lastSep != ' ' && n.lastSep != '-') {
				n.badSep = true
			}
			n.seps = 0
			if n.digits <= cardMaxDigits {
				n.digits++
				d := int(c - '0')
				n.luhn0, n.luhn1 = (n.luhn1+d)%10, (n.luhn0+luhnDouble(d))%10
			}
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			n.seps++
			n.lastSep = c
			if n.seps > maxRunSeps {
				ev = n.end()
			}
		default:
			if !isWord(c) || n.seps > 0 {
				ev = n.end()
			}
			n.in = false
		}
	}
	if !n.in && byteClass[c]&clStart != 0 && !isWord(n.prev) {
		n.in = true
		n.digits, n.seps, n.badSep, n.luhn0, n.luhn1 = 0, 0, false, 0, 0
		n.card = isDigit(c)
		if isDigit(c) {
			n.digits = 1
			n.luhn0, n.luhn1 = int(c-'0'), luhnDouble(int(c-'0'))
		}
	}
	n.prev = c
	return ev
}

// end closes the current run and classifies it.
func (n *numberState) end() numberEvent {
	n.in = false
	var ev numberEvent
	if n.digits >= phoneMinDigits && n.digits <= phoneMaxDigits {
		ev |= numPhone
	}
	if n.card && !n.badSep && n.digits >= cardMinDigits && n.digits <= cardMaxDigits && n.luhn0 == 0 {
		ev |= numCard
	}
	return ev
}

// flush ends a run at the end of the text.
func (n *numberState) flush() numberEvent {
	if !n.in {
		return 0
	}
	return n.end()
}

// Luhn reports whether the decimal digits of s (other bytes ignored) pass the Luhn check
// (ISO/IEC 7812-1 annex B). It is false when s has no digits.
func Luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		if !isDigit(s[i]) {
			continue
		}
		d := int(s[i] - '0')
		if n%2 == 1 {
			d = luhnDouble(d)
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}
