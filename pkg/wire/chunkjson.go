package wire

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the hand-written decoder behind DecodeChunk. Ingest decodes every chunk a
// gateway sends, and encoding/json (reflection, a json.Decoder per message, ~10 allocations)
// was the largest per-chunk cost. The decoder here is observationally identical to
//
//	dec := json.NewDecoder(bytes.NewReader(data)); dec.DisallowUnknownFields(); dec.Decode(c)
//
// followed by a check that only whitespace follows: it accepts exactly the inputs encoding/json
// accepts and produces the same Chunk, including encoding/json's less obvious rules, which
// FuzzDecodeChunkEquivalence checks against the reference:
//   - keys match field names exactly, else case-insensitively with Unicode simple folding
//     ("STREAM", "ſtream" and "stream" are one field); duplicate keys: the last one wins;
//   - null leaves a string, number, bool or time field unchanged and sets a slice or pointer nil;
//   - [] gives an empty, non-nil slice; an array decoded into a slice that already holds elements
//     (a duplicate key) decodes into those elements in place, without zeroing them;
//   - a second "meta" object decodes into the existing Meta;
//   - ts goes through time.Time.UnmarshalJSON with the raw token, as encoding/json does (so an
//     escaped ts string is refused);
//   - unpaired UTF-16 surrogates in \u escapes become U+FFFD.
//
// Only the error text differs: encoding/json checks the syntax of the whole value before it
// looks at types, this decoder stops at the first problem of any kind and names its byte offset.
//
// Strings without escapes are substrings of one string copy of the input, so a typical chunk
// costs the copy and the Chunk; identifying fields that consumers keep for a whole response
// (stream, meta, tool-call ids and names, finish_reason) get their own copies so that holding
// them does not pin the chunk's text.

// Field names of the decoded objects, in the order of the field ids below.
var (
	chunkFields    = []string{"stream", "seq", "ts", "text", "tokens", "tool_calls", "meta", "final", "finish_reason"}
	tokenFields    = []string{"text", "logprob", "top"}
	topFields      = []string{"text", "logprob"}
	toolCallFields = []string{"index", "id", "name", "arguments"}
	metaFields     = []string{"tenant", "model", "provider", "priority", "deadline_ms", "policy", "conversation"}

	chunkFolded    = foldAll(chunkFields)
	tokenFolded    = foldAll(tokenFields)
	topFolded      = foldAll(topFields)
	toolCallFolded = foldAll(toolCallFields)
	metaFolded     = foldAll(metaFields)
)

const (
	fStream = iota
	fSeq
	fTS
	fText
	fTokens
	fToolCalls
	fMeta
	fFinal
	fFinishReason
)

const (
	fTokText = iota
	fTokLogprob
	fTokTop
)

const (
	fTCIndex = iota
	fTCID
	fTCName
	fTCArguments
)

const (
	fMetaTenant = iota
	fMetaModel
	fMetaProvider
	fMetaPriority
	fMetaDeadline
	fMetaPolicy
	fMetaConversation
)

func foldAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = foldName(n)
	}
	return out
}

// foldName is encoding/json's key folding (encoding/json/fold.go): ASCII upper case, and every
// other rune replaced by the smallest rune of its simple-fold orbit, so that "ſ" (U+017F) folds
// like "s" and the Kelvin sign like "k".
func foldName(in string) string {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// chunkDecoder scans one JSON text. b and s hold the same bytes; s lets unescaped strings be
// substrings without a copy each.
type chunkDecoder struct {
	b   []byte
	s   string
	pos int
}

// decodeChunkJSON decodes data (valid UTF-8, at most MaxChunkBytes) into c.
func decodeChunkJSON(data []byte, c *Chunk) error {
	d := chunkDecoder{b: data, s: string(data)}
	d.ws()
	if d.pos >= len(d.b) {
		return d.syntaxErr("looking for beginning of value")
	}
	switch d.b[d.pos] {
	case '{':
		if err := d.chunkObject(c); err != nil {
			return err
		}
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
	default:
		return d.mismatch("", "wire.Chunk")
	}
	d.ws()
	if d.pos != len(d.b) {
		return &ValidationError{Field: "chunk", Reason: "trailing data after the JSON object"}
	}
	return nil
}

func (d *chunkDecoder) ws() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte; ok is false at the end of the input.
func (d *chunkDecoder) peek() (c byte, ok bool) {
	d.ws()
	if d.pos >= len(d.b) {
		return 0, false
	}
	return d.b[d.pos], true
}

func (d *chunkDecoder) fail(reason string) error {
	return &ValidationError{Field: "chunk", Reason: "malformed JSON: " + reason + " at byte " + strconv.Itoa(d.pos)}
}

// syntaxErr reports the byte at d.pos (or the end of the input) as unexpected.
func (d *chunkDecoder) syntaxErr(context string) error {
	if d.pos >= len(d.b) {
		return d.fail("unexpected end of JSON input")
	}
	r, _ := utf8.DecodeRune(d.b[d.pos:])
	return d.fail("invalid character " + strconv.QuoteRune(r) + " " + context)
}

// mismatch reports the value at d.pos as the wrong JSON type for field (a JSON path) of Go type
// want, or as a syntax error if no value starts there.
func (d *chunkDecoder) mismatch(field, want string) error {
	c, ok := d.peek()
	if !ok {
		return d.syntaxErr("")
	}
	var kind string
	switch {
	case c == '"':
		kind = "string"
	case c == '{':
		kind = "object"
	case c == '[':
		kind = "array"
	case c == 't' || c == 'f':
		kind = "bool"
	case c == 'n':
		kind = "null"
	case c == '-' || c >= '0' && c <= '9':
		kind = "number"
	default:
		return d.syntaxErr("looking for beginning of value")
	}
	if field == "" {
		return d.fail("cannot unmarshal " + kind + " into Go value of type " + want)
	}
	return d.fail("cannot unmarshal " + kind + " into field " + field + " of type " + want)
}

// literal consumes lit (true, false or null) at d.pos.
func (d *chunkDecoder) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if d.pos >= len(d.b) || d.b[d.pos] != lit[i] {
			return d.syntaxErr("in literal " + lit)
		}
		d.pos++
	}
	return nil
}

// scanString consumes the string at d.pos (which is '"') and returns the bounds of its content
// and whether it contains escapes. Escapes are checked as JSON requires; control bytes are refused.
func (d *chunkDecoder) scanString() (start, end int, escaped bool, err error) {
	b := d.b
	start = d.pos + 1
	i := start
	for i < len(b) {
		c := b[i]
		if plainStringByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				d.pos = len(b)
				return 0, 0, false, d.syntaxErr("")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						d.pos = k
						return 0, 0, false, d.syntaxErr("")
					}
					if hexVal(b[k]) < 0 {
						d.pos = k
						return 0, 0, false, d.syntaxErr("in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				d.pos = i + 1
				return 0, 0, false, d.syntaxErr("in string escape code")
			}
		case c < ' ':
			d.pos = i
			return 0, 0, false, d.syntaxErr("in string literal")
		default:
			i++
		}
	}
	d.pos = len(b)
	return 0, 0, false, d.syntaxErr("")
}

// plainStringByte marks the bytes that stand for themselves inside a JSON string: everything
// but the quote, the backslash and control bytes. A table keeps scanString's loop tight.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// getu4 decodes \uXXXX at the start of s, or returns -1 (encoding/json's getu4).
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r*16 + v
	}
	return r
}

// unescape decodes the content of a string already checked by scanString, as encoding/json's
// unquoteBytes does: a surrogate that does not start a valid pair becomes U+FFFD.
func unescape(s []byte) string {
	// A strings.Builder hands its buffer over as the string: one allocation, not two.
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r := getu4(s[i:])
			i += 6
			if utf16.IsSurrogate(r) {
				if dec := utf16.DecodeRune(r, getu4(s[i:])); dec != unicode.ReplacementChar {
					i += 6
					out.WriteRune(dec)
					continue
				}
				r = unicode.ReplacementChar
			}
			out.WriteRune(r)
			continue
		default: // '"', '\\', '/'
			out.WriteByte(s[i+1])
		}
		i += 2
	}
	return out.String()
}

// str decodes a string value into *dst; null leaves *dst alone. With own set, an unescaped
// string gets its own allocation instead of sharing the input's copy.
func (d *chunkDecoder) str(dst *string, field string, own bool) error {
	c, ok := d.peek()
	switch {
	case ok && c == '"':
		start, end, esc, err := d.scanString()
		if err != nil {
			return err
		}
		switch {
		case esc:
			*dst = unescape(d.b[start:end])
		case own:
			*dst = string(d.b[start:end])
		default:
			*dst = d.s[start:end]
		}
		return nil
	case ok && c == 'n':
		return d.literal("null")
	}
	return d.mismatch(field, "string")
}

// number consumes a JSON number at d.pos and returns its text.
func (d *chunkDecoder) number() (string, error) {
	b, i := d.b, d.pos
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		d.pos = i
		return "", d.syntaxErr("in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			d.pos = i
			return "", d.syntaxErr("after decimal point in numeric literal")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			d.pos = i
			return "", d.syntaxErr("in exponent of numeric literal")
		}
	}
	s := d.s[d.pos:i]
	d.pos = i
	return s, nil
}

// numberText returns the number at d.pos, or null=true if the value was null (consumed).
func (d *chunkDecoder) numberText(field, want string) (s string, null bool, err error) {
	c, ok := d.peek()
	switch {
	case ok && (c == '-' || c >= '0' && c <= '9'):
		s, err = d.number()
		return s, false, err
	case ok && c == 'n':
		return "", true, d.literal("null")
	}
	return "", false, d.mismatch(field, want)
}

func (d *chunkDecoder) uint64Val(dst *uint64, field string) error {
	at := d.pos
	s, null, err := d.numberText(field, "uint64")
	if err != nil || null {
		return err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		d.pos = at
		return d.fail("cannot unmarshal number " + s + " into field " + field + " of type uint64")
	}
	*dst = v
	return nil
}

func (d *chunkDecoder) int64Val(dst *int64, field, typ string) error {
	at := d.pos
	s, null, err := d.numberText(field, typ)
	if err != nil || null {
		return err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		d.pos = at
		return d.fail("cannot unmarshal number " + s + " into field " + field + " of type " + typ)
	}
	*dst = v
	return nil
}

func (d *chunkDecoder) intVal(dst *int, field string) error {
	v := int64(*dst)
	if err := d.int64Val(&v, field, "int"); err != nil {
		return err
	}
	if int64(int(v)) != v { // 32-bit platforms: encoding/json's OverflowInt
		return d.fail("cannot unmarshal number into field " + field + " of type int")
	}
	*dst = int(v)
	return nil
}

func (d *chunkDecoder) float64Val(dst *float64, field string) error {
	at := d.pos
	s, null, err := d.numberText(field, "float64")
	if err != nil || null {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		d.pos = at
		return d.fail("cannot unmarshal number " + s + " into field " + field + " of type float64")
	}
	*dst = v
	return nil
}

func (d *chunkDecoder) boolVal(dst *bool, field string) error {
	c, ok := d.peek()
	switch {
	case ok && c == 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		*dst = true
		return nil
	case ok && c == 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
		*dst = false
		return nil
	case ok && c == 'n':
		return d.literal("null")
	}
	return d.mismatch(field, "bool")
}

// timeVal hands the raw token to time.Time.UnmarshalJSON, which is what encoding/json does for
// every literal; objects and arrays are refused by it as well, so they are refused here.
func (d *chunkDecoder) timeVal(c *Chunk) error {
	ch, ok := d.peek()
	switch {
	case ok && ch == '"':
		at := d.pos
		if _, _, _, err := d.scanString(); err != nil {
			return err
		}
		if err := c.Time.UnmarshalJSON(d.b[at:d.pos]); err != nil {
			d.pos = at
			return d.fail("ts: " + err.Error())
		}
		return nil
	case ok && ch == 'n':
		return d.literal("null")
	}
	return d.mismatch("ts", "time.Time")
}

// key reads the next member of an object: it consumes '{' first if first is set, then either
// the closing '}' (done) or a key and its ':'. The key is looked up in names, then in folded.
func (d *chunkDecoder) key(first bool, names, folded []string, where string) (id int, done bool, err error) {
	if first {
		d.pos++ // '{'
		c, ok := d.peek()
		if ok && c == '}' {
			d.pos++
			return 0, true, nil
		}
		if !ok || c != '"' {
			return 0, false, d.syntaxErr("looking for beginning of object key string")
		}
	} else {
		c, ok := d.peek()
		switch {
		case ok && c == '}':
			d.pos++
			return 0, true, nil
		case ok && c == ',':
			d.pos++
		default:
			return 0, false, d.syntaxErr("after object key:value pair")
		}
		if c, ok = d.peek(); !ok || c != '"' {
			return 0, false, d.syntaxErr("looking for beginning of object key string")
		}
	}
	at := d.pos
	start, end, esc, err := d.scanString()
	if err != nil {
		return 0, false, err
	}
	if c, ok := d.peek(); !ok || c != ':' {
		return 0, false, d.syntaxErr("after object key")
	}
	d.pos++
	var k string
	if esc {
		k = unescape(d.b[start:end])
	} else {
		k = d.s[start:end]
	}
	for i, n := range names {
		if n == k {
			return i, false, nil
		}
	}
	f := foldName(k)
	for i, n := range folded {
		if n == f {
			return i, false, nil
		}
	}
	d.pos = at
	return 0, false, d.fail("unknown field " + strconv.Quote(k) + " in " + where)
}

func (d *chunkDecoder) chunkObject(c *Chunk) error {
	for first := true; ; first = false {
		id, done, err := d.key(first, chunkFields, chunkFolded, "chunk")
		if err != nil || done {
			return err
		}
		switch id {
		case fStream:
			err = d.str(&c.Stream, "stream", true)
		case fSeq:
			err = d.uint64Val(&c.Seq, "seq")
		case fTS:
			err = d.timeVal(c)
		case fText:
			err = d.str(&c.Text, "text", false)
		case fTokens:
			err = decodeSlice(d, &c.Tokens, MaxTokens, "tokens", "[]wire.Token")
		case fToolCalls:
			err = decodeSlice(d, &c.ToolCalls, MaxToolCalls, "tool_calls", "[]wire.ToolCallDelta")
		case fMeta:
			err = d.meta(&c.Meta)
		case fFinal:
			err = d.boolVal(&c.Final, "final")
		case fFinishReason:
			err = d.str(&c.FinishReason, "finish_reason", true)
		}
		if err != nil {
			return err
		}
	}
}

// object starts an element object: null leaves *dst alone, anything but an object is refused.
// It reports whether an object follows.
func (d *chunkDecoder) object(field, want string) (bool, error) {
	c, ok := d.peek()
	switch {
	case ok && c == '{':
		return true, nil
	case ok && c == 'n':
		return false, d.literal("null")
	}
	return false, d.mismatch(field, want)
}

func (d *chunkDecoder) token(t *Token) error {
	if ok, err := d.object("tokens", "wire.Token"); !ok || err != nil {
		return err
	}
	for first := true; ; first = false {
		id, done, err := d.key(first, tokenFields, tokenFolded, "tokens")
		if err != nil || done {
			return err
		}
		switch id {
		case fTokText:
			err = d.str(&t.Text, "tokens.text", false)
		case fTokLogprob:
			err = d.float64Val(&t.Logprob, "tokens.logprob")
		case fTokTop:
			err = decodeSlice(d, &t.Top, MaxTopLogprobs, "tokens.top", "[]wire.TopLogprob")
		}
		if err != nil {
			return err
		}
	}
}

func (d *chunkDecoder) topLogprob(t *TopLogprob) error {
	if ok, err := d.object("tokens.top", "wire.TopLogprob"); !ok || err != nil {
		return err
	}
	for first := true; ; first = false {
		id, done, err := d.key(first, topFields, topFolded, "tokens.top")
		if err != nil || done {
			return err
		}
		switch id {
		case fTokText:
			err = d.str(&t.Text, "tokens.top.text", false)
		case fTokLogprob:
			err = d.float64Val(&t.Logprob, "tokens.top.logprob")
		}
		if err != nil {
			return err
		}
	}
}

func (d *chunkDecoder) toolCall(t *ToolCallDelta) error {
	if ok, err := d.object("tool_calls", "wire.ToolCallDelta"); !ok || err != nil {
		return err
	}
	for first := true; ; first = false {
		id, done, err := d.key(first, toolCallFields, toolCallFolded, "tool_calls")
		if err != nil || done {
			return err
		}
		switch id {
		case fTCIndex:
			err = d.intVal(&t.Index, "tool_calls.index")
		case fTCID:
			err = d.str(&t.ID, "tool_calls.id", true)
		case fTCName:
			err = d.str(&t.Name, "tool_calls.name", true)
		case fTCArguments:
			err = d.str(&t.Arguments, "tool_calls.arguments", false)
		}
		if err != nil {
			return err
		}
	}
}

// meta decodes the meta object: null sets *dst nil, an object decodes into the existing Meta
// (a duplicate key merges) or a new one.
func (d *chunkDecoder) meta(dst **Meta) error {
	c, ok := d.peek()
	switch {
	case ok && c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case !ok || c != '{':
		return d.mismatch("meta", "*wire.Meta")
	}
	if *dst == nil {
		*dst = new(Meta)
	}
	m := *dst
	for first := true; ; first = false {
		id, done, err := d.key(first, metaFields, metaFolded, "meta")
		if err != nil || done {
			return err
		}
		switch id {
		case fMetaTenant:
			err = d.str(&m.Tenant, "meta.tenant", true)
		case fMetaModel:
			err = d.str(&m.Model, "meta.model", true)
		case fMetaProvider:
			err = d.str(&m.Provider, "meta.provider", true)
		case fMetaPriority:
			err = d.str((*string)(&m.Priority), "meta.priority", true)
		case fMetaDeadline:
			err = d.int64Val(&m.DeadlineMS, "meta.deadline_ms", "int64")
		case fMetaPolicy:
			err = d.str(&m.Policy, "meta.policy", true)
		case fMetaConversation:
			err = d.str(&m.Conversation, "meta.conversation", true)
		}
		if err != nil {
			return err
		}
	}
}

// decodeSlice decodes an array into *dst with encoding/json's slice rules: null sets nil, []
// sets an empty non-nil slice, and elements already within the slice's capacity are decoded
// into in place. A fresh slice is sized by counting the array's elements first (at most
// limit+1, so a hostile array cannot make it allocate beyond what validation allows).
func decodeSlice[T Token | TopLogprob | ToolCallDelta](d *chunkDecoder, dst *[]T, limit int, field, want string) error {
	c, ok := d.peek()
	switch {
	case ok && c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case !ok || c != '[':
		return d.mismatch(field, want)
	}
	d.pos++
	if c, ok := d.peek(); ok && c == ']' {
		d.pos++
		*dst = []T{}
		return nil
	}
	s := *dst
	if cap(s) == 0 {
		s = make([]T, 0, d.countElems(limit+1))
	}
	for i := 0; ; {
		if i >= cap(s) {
			s = slices.Grow(s, 1)
		}
		if i >= len(s) {
			s = s[:i+1]
		}
		// A type switch rather than a function argument: calling through a func value would make
		// the decoder escape to the heap.
		var err error
		switch p := any(&s[i]).(type) {
		case *Token:
			err = d.token(p)
		case *TopLogprob:
			err = d.topLogprob(p)
		case *ToolCallDelta:
			err = d.toolCall(p)
		}
		if err != nil {
			return err
		}
		i++
		c, ok := d.peek()
		switch {
		case ok && c == ',':
			d.pos++
			continue
		case ok && c == ']':
			d.pos++
			if i < len(s) {
				s = s[:i]
			}
			*dst = s
			return nil
		}
		return d.syntaxErr("after array element")
	}
}

// countElems estimates the number of elements of the array whose first element starts at
// d.pos, stopping at max. It only sizes an allocation: malformed input is found by the decoder.
func (d *chunkDecoder) countElems(max int) int {
	b := d.b
	depth, n := 0, 1
	for i := d.pos; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				if n++; n >= max {
					return max
				}
			}
		}
	}
	return n
}
