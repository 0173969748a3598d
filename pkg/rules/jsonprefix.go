package rules

// JSONMaxDepth is the deepest nesting JSONPrefix accepts; it equals encoding/json's limit so
// that both agree on every input.
const JSONMaxDepth = 10000

type jsState uint8

const (
	jsBeginValue        jsState = iota // a value is expected (top level, after ':' or after ',' in an array)
	jsBeginValueOrEmpty                // after '[': a value or ']'
	jsBeginKeyOrEmpty                  // after '{': '"' or '}'
	jsBeginKey                         // after ',' in an object: '"'
	jsEndValue                         // a value just ended inside a container
	jsEndTop                           // the top-level value ended; only whitespace may follow
	jsColon                            // an object key ended; ':' expected
	jsString
	jsStringEsc
	jsStringU1
	jsStringU2
	jsStringU3
	jsStringU4
	jsNeg    // '-'
	jsZero   // "0" or "-0"
	jsDigits // 1-9 followed by digits
	jsDot    // '.' with no digit yet
	jsDotDigits
	jsExp     // 'e' or 'E'
	jsExpSign // exponent sign
	jsExpDigits
	jsLiteral // inside true/false/null
	jsError
)

// JSONPrefix is an incremental JSON validity checker: after each Write it knows whether the
// bytes so far are a prefix of some valid JSON text (RFC 8259, as encoding/json accepts it,
// including its nesting limit and its tolerance of invalid UTF-8 inside strings), and whether
// they already form a complete JSON text. Its memory is bounded: one bit per nesting level
// beyond the first 64 levels. The zero value is ready to use.
type JSONPrefix struct {
	state  jsState
	lit    string // remaining bytes of the literal being read
	depth  int
	low    uint64   // container kinds of levels 1..64: bit set = object
	high   []uint64 // levels 65..JSONMaxDepth, allocated on demand
	inKey  bool     // the innermost container is an object and a key (not a value) is being read
	offset int64    // bytes consumed
	errAt  int64    // offset of the first invalid byte, -1 if none
}

// Reset makes j ready for a new text, keeping allocated memory.
func (j *JSONPrefix) Reset() {
	high := j.high[:0]
	*j = JSONPrefix{high: high}
}

// Valid reports whether the bytes written so far are a prefix of some valid JSON text. The
// empty text is a valid prefix.
func (j *JSONPrefix) Valid() bool { return j.state != jsError }

// Complete reports whether the bytes written so far form a complete JSON text, that is whether
// encoding/json.Valid would accept them. A top-level number is complete (and may still grow).
func (j *JSONPrefix) Complete() bool {
	if j.depth != 0 {
		return false
	}
	switch j.state {
	case jsEndTop, jsZero, jsDigits, jsDotDigits, jsExpDigits:
		return true
	}
	return false
}

// Closed reports whether the text holds a complete JSON value that cannot be extended to a
// different value: like Complete, but false for a bare top-level number.
func (j *JSONPrefix) Closed() bool { return j.depth == 0 && j.state == jsEndTop }

// ErrorOffset returns the offset of the first byte that made the text invalid, or -1.
func (j *JSONPrefix) ErrorOffset() int64 {
	if j.state != jsError {
		return -1
	}
	return j.errAt
}

// Len returns the number of bytes written.
func (j *JSONPrefix) Len() int64 { return j.offset }

// Write feeds p and reports Valid. It never fails; invalidity is sticky.
func (j *JSONPrefix) Write(p []byte) bool {
	for _, c := range p {
		if j.state == jsError {
			break
		}
		j.step(c)
		j.offset++
	}
	return j.state != jsError
}

// WriteString is Write for a string.
func (j *JSONPrefix) WriteString(s string) bool {
	for i := 0; i < len(s); i++ {
		if j.state == jsError {
			break
		}
		j.step(s[i])
		j.offset++
	}
	return j.state != jsError
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (j *JSONPrefix) fail() {
	j.state = jsError
	j.errAt = j.offset
}

func (j *JSONPrefix) push(object bool) bool {
	if j.depth >= JSONMaxDepth {
		return false
	}
	d := j.depth
	j.depth++
	if d < 64 {
		if object {
			j.low |= 1 << uint(d)
		} else {
			j.low &^= 1 << uint(d)
		}
	} else {
		w, b := (d-64)/64, uint(d-64)%64
		for len(j.high) <= w {
			j.high = append(j.high, 0)
		}
		if object {
			j.high[w] |= 1 << b
		} else {
			j.high[w] &^= 1 << b
		}
	}
	j.inKey = object
	return true
}

// topIsObject reports whether the innermost open container is an object; depth must be > 0.
func (j *JSONPrefix) topIsObject() bool {
	d := j.depth - 1
	if d < 64 {
		return j.low&(1<<uint(d)) != 0
	}
	return j.high[(d-64)/64]&(1<<(uint(d-64)%64)) != 0
}

// endValue is called when a value has ended; c is the byte after it (already known not to be
// part of the value) or 0 when the value ended on its own last byte (string, literal, close).
func (j *JSONPrefix) valueEnded() {
	if j.depth == 0 {
		j.state = jsEndTop
		return
	}
	if j.inKey {
		j.state = jsColon
		return
	}
	j.state = jsEndValue
}

// beginValue handles c where a value may start.
func (j *JSONPrefix) beginValue(c byte) {
	switch {
	case c == '{':
		if !j.push(true) {
			j.fail()
			return
		}
		j.state = jsBeginKeyOrEmpty
	case c == '[':
		if !j.push(false) {
			j.fail()
			return
		}
		j.state = jsBeginValueOrEmpty
	case c == '"':
		j.state = jsString
	case c == '-':
		j.state = jsNeg
	case c == '0':
		j.state = jsZero
	case c >= '1' && c <= '9':
		j.state = jsDigits
	case c == 't':
		j.state, j.lit = jsLiteral, "true"[1:]
	case c == 'f':
		j.state, j.lit = jsLiteral, "false"[1:]
	case c == 'n':
		j.state, j.lit = jsLiteral, "null"[1:]
	default:
		j.fail()
	}
}

func (j *JSONPrefix) closeContainer(object bool) {
	if j.depth == 0 || j.topIsObject() != object {
		j.fail()
		return
	}
	j.depth--
	j.inKey = false // a container is never a key; an enclosing object is reading a value
	j.valueEnded()
}

// afterValue handles c following a complete value inside a container or at top level.
func (j *JSONPrefix) afterValue(c byte) {
	if isSpace(c) {
		j.valueEnded()
		return
	}
	if j.depth == 0 {
		j.fail()
		return
	}
	if j.inKey {
		if c == ':' {
			j.inKey = false
			j.state = jsBeginValue
			return
		}
		j.fail()
		return
	}
	switch c {
	case ',':
		if j.topIsObject() {
			j.inKey = true
			j.state = jsBeginKey
		} else {
			j.state = jsBeginValue
		}
	case ']':
		j.closeContainer(false)
	case '}':
		j.closeContainer(true)
	default:
		j.fail()
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (j *JSONPrefix) step(c byte) {
	switch j.state {
	case jsBeginValue:
		if !isSpace(c) {
			j.beginValue(c)
		}
	case jsBeginValueOrEmpty:
		if isSpace(c) {
			return
		}
		if c == ']' {
			j.closeContainer(false)
			return
		}
		j.beginValue(c)
	case jsBeginKeyOrEmpty:
		if isSpace(c) {
			return
		}
		if c == '}' {
			j.closeContainer(true)
			return
		}
		if c == '"' {
			j.state = jsString
			return
		}
		j.fail()
	case jsBeginKey:
		if isSpace(c) {
			return
		}
		if c == '"' {
			j.state = jsString
			return
		}
		j.fail()
	case jsEndValue, jsEndTop, jsColon:
		j.afterValue(c)
	case jsString:
		switch {
		case c == '"':
			j.valueEnded()
		case c == '\\':
			j.state = jsStringEsc
		case c < 0x20:
			j.fail()
		}
	case jsStringEsc:
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			j.state = jsString
		case 'u':
			j.state = jsStringU1
		default:
			j.fail()
		}
	case jsStringU1, jsStringU2, jsStringU3, jsStringU4:
		if !isHex(c) {
			j.fail()
			return
		}
		if j.state == jsStringU4 {
			j.state = jsString
		} else {
			j.state++
		}
	case jsNeg:
		switch {
		case c == '0':
			j.state = jsZero
		case c >= '1' && c <= '9':
			j.state = jsDigits
		default:
			j.fail()
		}
	case jsDigits:
		if c >= '0' && c <= '9' {
			return
		}
		j.numberTail(c)
	case jsZero:
		j.numberTail(c)
	case jsDot:
		if c >= '0' && c <= '9' {
			j.state = jsDotDigits
			return
		}
		j.fail()
	case jsDotDigits:
		if c >= '0' && c <= '9' {
			return
		}
		if c == 'e' || c == 'E' {
			j.state = jsExp
			return
		}
		j.numberEnd(c)
	case jsExp:
		if c == '+' || c == '-' {
			j.state = jsExpSign
			return
		}
		fallthrough
	case jsExpSign:
		if c >= '0' && c <= '9' {
			j.state = jsExpDigits
			return
		}
		j.fail()
	case jsExpDigits:
		if c >= '0' && c <= '9' {
			return
		}
		j.numberEnd(c)
	case jsLiteral:
		if c != j.lit[0] {
			j.fail()
			return
		}
		j.lit = j.lit[1:]
		if j.lit == "" {
			j.valueEnded()
		}
	case jsError:
	}
}

// numberTail handles c after the integer part of a number.
func (j *JSONPrefix) numberTail(c byte) {
	switch c {
	case '.':
		j.state = jsDot
	case 'e', 'E':
		j.state = jsExp
	default:
		j.numberEnd(c)
	}
}

// numberEnd handles the byte that ended a number: it belongs to what follows the value.
func (j *JSONPrefix) numberEnd(c byte) {
	j.valueEnded()
	j.afterValue(c)
}
