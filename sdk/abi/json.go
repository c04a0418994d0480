package abi

import (
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// This file holds the small, reflection-free JSON writer and reader the codec
// is built on (strings are written and scanned by sdk/jsonlite). It knows exactly the JSON subset the ABI messages use: objects,
// arrays, strings, integers, booleans and null. It never uses reflect or fmt,
// so a guest that imports this package stays small and fast.

// maxDepth bounds the nesting the reader accepts, also inside values it skips.
const maxDepth = 64

// DecodeError reports a malformed or unexpected ABI message.
type DecodeError struct {
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Msg says what was wrong.
	Msg string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return "abi: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// appendKey appends `"key":` for a key that needs no escaping, with a leading
// comma unless first.
func appendKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonlite.AppendString(b, s)
	}
	return append(b, ']')
}

// reader is a forward-only JSON reader over one input. The first error is
// sticky: after it every method returns zero values and loops end.
type reader struct {
	data    []byte
	pos     int
	depth   int
	err     error
	scratch []byte
	// view: strings that need no unescaping alias data instead of being
	// copied (the View decoders; see DecodeMessageView).
	view bool
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = &DecodeError{Offset: r.pos, Msg: msg}
	}
	r.pos = len(r.data) // stop all further reading
}

func (r *reader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end of the input.
func (r *reader) peek() byte {
	r.ws()
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

// end checks that only white space is left.
func (r *reader) end() error {
	if r.err == nil {
		r.ws()
		if r.pos != len(r.data) {
			r.fail("unexpected data after the value")
		}
	}
	return r.err
}

// tail ends a framed message: the JSON value must have ended (no white
// space after it) exactly n bytes before the end of the input, and those n
// bytes are returned. It reports a *DecodeError for a JSON error or a length
// that does not match.
func (r *reader) tail(n int64) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	rest := len(r.data) - r.pos
	if n < 0 || n != int64(rest) {
		r.err = &DecodeError{Offset: r.pos, Msg: "body_len " + strconv.FormatInt(n, 10) +
			" does not match the " + strconv.Itoa(rest) + " bytes after the JSON"}
		return nil, r.err
	}
	return r.data[r.pos:], nil
}

// null consumes a null if one is next and reports whether it did.
func (r *reader) null() bool {
	if r.peek() == 'n' {
		r.literal("null")
		return r.err == nil
	}
	return false
}

func (r *reader) literal(lit string) {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		r.fail("invalid literal")
		return
	}
	r.pos += len(lit)
}

// open consumes the opening byte of an object or array.
func (r *reader) open(c byte) bool {
	if r.peek() != c {
		if c == '{' {
			r.fail("expected an object")
		} else {
			r.fail("expected an array")
		}
		return false
	}
	r.depth++
	if r.depth > maxDepth {
		r.fail("nesting too deep")
		return false
	}
	r.pos++
	return true
}

// more reports whether another member (i > 0: after a comma) follows in the
// object or array closed by close; it consumes the close or the comma.
func (r *reader) more(close byte, i int) bool {
	c := r.peek()
	if r.err != nil {
		return false
	}
	if c == close {
		r.pos++
		r.depth--
		return false
	}
	if i > 0 {
		if c != ',' {
			r.fail("expected , or " + string(close))
			return false
		}
		r.pos++
		r.ws()
	}
	if r.pos >= len(r.data) {
		r.fail("unexpected end of input")
		return false
	}
	return true
}

// key reads an object key and its colon. The result aliases the input or the
// scratch buffer: compare it at once.
func (r *reader) key() []byte {
	k := r.strBytes()
	if r.peek() != ':' {
		r.fail("expected :")
		return nil
	}
	r.pos++
	return k
}

// str reads a string value; null leaves def.
func (r *reader) str(def string) string {
	if r.null() {
		return def
	}
	b := r.strBytes()
	if r.err != nil {
		return def
	}
	if r.view && len(b) > 0 && &b[0] != unsafe.SliceData(r.scratch) {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// strBytes reads a JSON string. The result aliases the input (no escapes, all
// ASCII) or r.scratch.
func (r *reader) strBytes() []byte {
	if r.peek() != '"' {
		r.fail("expected a string")
		return nil
	}
	r.pos++
	start := r.pos
	i := start + jsonlite.PlainPrefix(r.data[start:])
	if i < len(r.data) {
		if r.data[i] == '"' {
			r.pos = i + 1
			return r.data[start:i]
		}
		return r.strSlow(start, i)
	}
	r.fail("unterminated string")
	return nil
}

// strSlow decodes the rest of a string that holds escapes or non-ASCII bytes.
func (r *reader) strSlow(start, i int) []byte {
	b := append(r.scratch[:0], r.data[start:i]...)
	for i < len(r.data) {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos = i + 1
			r.scratch = b
			return b
		case c < 0x20:
			r.pos = i
			r.fail("control character in string")
			return nil
		case c == '\\':
			if i+1 >= len(r.data) {
				r.pos = i
				r.fail("unterminated string")
				return nil
			}
			e := r.data[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				ru, ok := hex4(r.data, i)
				if !ok {
					r.pos = i
					r.fail("invalid \\u escape")
					return nil
				}
				i += 4
				if ru >= 0xD800 && ru < 0xDC00 {
					// A high surrogate: combine with a following low one.
					if lo, ok := hex4(r.data, i+2); ok && i+1 < len(r.data) && r.data[i] == '\\' && r.data[i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
						ru = 0x10000 + (ru-0xD800)<<10 + (lo - 0xDC00)
						i += 6
					} else {
						ru = utf8.RuneError
					}
				} else if ru >= 0xDC00 && ru < 0xE000 {
					ru = utf8.RuneError
				}
				b = utf8.AppendRune(b, ru)
			default:
				r.pos = i - 1
				r.fail("invalid escape")
				return nil
			}
		case c < utf8.RuneSelf:
			// Copy the run of plain ASCII up to the next special byte at once.
			j := i + 1
			for j < len(r.data) {
				d := r.data[j]
				if d < 0x20 || d == '"' || d == '\\' || d >= utf8.RuneSelf {
					break
				}
				j++
			}
			b = append(b, r.data[i:j]...)
			i = j
		default:
			ru, size := utf8.DecodeRune(r.data[i:])
			if ru == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, r.data[i:i+size]...)
			}
			i += size
		}
	}
	r.pos = len(r.data)
	r.fail("unterminated string")
	return nil
}

func hex4(data []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(data) {
		return 0, false
	}
	var v rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// boolean reads true or false; null leaves def.
func (r *reader) boolean(def bool) bool {
	switch r.peek() {
	case 't':
		r.literal("true")
		return r.err == nil
	case 'f':
		r.literal("false")
		return false
	case 'n':
		r.literal("null")
		return def
	}
	r.fail("expected a boolean")
	return def
}

// integer reads a JSON number that must be an integer within int64; null
// leaves def.
func (r *reader) integer(def int64) int64 {
	if r.null() {
		return def
	}
	start := r.pos
	neg := false
	if r.pos < len(r.data) && r.data[r.pos] == '-' {
		neg = true
		r.pos++
	}
	digits := r.pos
	var u uint64
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		d := uint64(r.data[r.pos] - '0')
		if u > (1<<63)/10 || (u == (1<<63)/10 && d > (1<<63)%10) {
			r.pos = start
			r.fail("integer out of range")
			return def
		}
		u = u*10 + d
		r.pos++
	}
	n := r.pos - digits
	switch {
	case n == 0:
		r.pos = start
		r.fail("expected an integer")
		return def
	case n > 1 && r.data[digits] == '0':
		r.pos = start
		r.fail("leading zero in number")
		return def
	case r.pos < len(r.data) && (r.data[r.pos] == '.' || r.data[r.pos] == 'e' || r.data[r.pos] == 'E'):
		r.pos = start
		r.fail("expected an integer")
		return def
	}
	if neg {
		return -int64(u) //nolint:gosec // u <= 1<<63 was checked; -(1<<63) wraps to MinInt64 as intended
	}
	if u > 1<<63-1 {
		r.pos = start
		r.fail("integer out of range")
		return def
	}
	return int64(u)
}

// skip reads and discards any one JSON value (an unknown member).
func (r *reader) skip() {
	switch c := r.peek(); {
	case c == '{':
		if !r.open('{') {
			return
		}
		for i := 0; r.more('}', i); i++ {
			r.key()
			r.skip()
		}
	case c == '[':
		if !r.open('[') {
			return
		}
		for i := 0; r.more(']', i); i++ {
			r.skip()
		}
	case c == '"':
		r.strBytes()
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		r.skipNumber()
	default:
		r.fail("expected a value")
	}
}

// skipNumber consumes a JSON number per RFC 8259.
func (r *reader) skipNumber() {
	start := r.pos
	digits := func() int {
		n := 0
		for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if r.data[r.pos] == '-' {
		r.pos++
	}
	intStart := r.pos
	n := digits()
	if n == 0 || (n > 1 && r.data[intStart] == '0') {
		r.pos = start
		r.fail("invalid number")
		return
	}
	if r.pos < len(r.data) && r.data[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			r.fail("invalid number")
			return
		}
	}
	if r.pos < len(r.data) && (r.data[r.pos] == 'e' || r.data[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.data) && (r.data[r.pos] == '+' || r.data[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			r.fail("invalid number")
		}
	}
}

// strings reads an array of strings (null elements become ""); null gives nil.
// The strings are appended to out[:0] (nil for a new array).
func (r *reader) strings(out []string) []string {
	if r.null() || !r.open('[') {
		return nil
	}
	out = out[:0]
	for i := 0; r.more(']', i); i++ {
		out = append(out, r.str(""))
	}
	if r.err != nil {
		return nil
	}
	return out
}
