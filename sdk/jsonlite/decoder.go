package jsonlite

import (
	"strconv"
	"unicode/utf8"
)

// ErrorCode says what a SyntaxError found wrong, so that a caller can word
// the error its own way (the server words it as Python's json module does).
type ErrorCode uint8

// The codes of SyntaxError. The Offset of each is where the problem lies.
const (
	ErrValue         ErrorCode = iota + 1 // a value was expected (also: an empty document, a misspelt literal, '-' without digits)
	ErrKey                                // a string (an object key) was expected
	ErrColon                              // ':' after an object key was expected
	ErrComma                              // ',' or the closing bracket was expected
	ErrDigit                              // a digit was expected after '.' or in an exponent
	ErrUnterminated                       // a string is not closed; Offset is its opening quote
	ErrEscape                             // an invalid escape; Offset is its backslash
	ErrUnicodeEscape                      // an invalid \uXXXX escape; Offset is just after the \u
	ErrControl                            // a control character in a string
	ErrUTF8                               // invalid UTF-8 in a string
	ErrDepth                              // nesting deeper than the limit; Offset is the bracket
	ErrExtra                              // data after the top-level value
	ErrShape                              // a well-formed value the caller did not expect (Decoder.Fail)
)

// SyntaxError describes why a document was refused.
type SyntaxError struct {
	// Offset is the byte offset in the document where the problem was found.
	Offset int
	// Code says what was expected.
	Code ErrorCode
	// Msg says what is wrong, in words.
	Msg string
}

func (e *SyntaxError) Error() string {
	return "jsonlite: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Decoder reads one JSON document in a single forward pass and checks it
// against RFC 8259 as it goes: strings must be UTF-8 (unless Lossy) and
// nesting is bounded. It is the one reader behind Parse, Extract, the ABI
// codec (sdk/abi) and the server's request bodies. Errors are sticky: after
// the first, reading stops (Look returns 0, More false, values are zero)
// and Err reports it. A Decoder never panics on any input and allocates
// only when a decoded string outgrows Scratch.
type Decoder struct {
	// MaxDepth bounds the nesting of arrays and objects (the top level is
	// depth 1); 0 means the package's MaxDepth.
	MaxDepth int
	// Lossy reads invalid UTF-8 in a string as U+FFFD, one per bad byte
	// (as encoding/json does), where the default refuses it.
	Lossy bool
	// Scratch receives the strings that need decoding (escapes, and with
	// Lossy invalid UTF-8). It is only appended to, so every string a
	// Decoder returns stays valid; keep it to reuse its memory.
	Scratch []byte

	data  []byte
	pos   int
	depth int
	err   *SyntaxError
}

// NewDecoder returns a Decoder over data.
func NewDecoder(data []byte) Decoder { return Decoder{data: data} }

// Err returns the first error, or nil.
func (d *Decoder) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Pos returns the offset of the next unread byte.
func (d *Decoder) Pos() int { return d.pos }

// Fail records a shape error (ErrShape) with msg at the current offset,
// unless an error is already recorded, and stops reading.
func (d *Decoder) Fail(msg string) { d.failAt(d.pos, ErrShape, msg) }

func (d *Decoder) failAt(off int, code ErrorCode, msg string) {
	if d.err == nil {
		d.err = &SyntaxError{Offset: off, Code: code, Msg: msg}
	}
	d.pos = len(d.data)
}

func (d *Decoder) fail(code ErrorCode, msg string) { d.failAt(d.pos, code, msg) }

func (d *Decoder) ws() { d.pos = skipWS(d.data, d.pos) }

// Look skips white space and returns the next byte without reading it; 0
// at the end of the input or after an error (and for a NUL byte, which
// no JSON value begins with).
func (d *Decoder) Look() byte {
	d.ws()
	if d.pos < len(d.data) { // an error moved d.pos to the end
		return d.data[d.pos]
	}
	return 0
}

// End checks that only white space is left, and returns Err.
func (d *Decoder) End() error {
	if d.ws(); d.err == nil && d.pos < len(d.data) {
		d.fail(ErrExtra, "unexpected data after the value")
	}
	return d.Err()
}

// Open reads c ('{' or '[') if it is next and reports whether it did; it
// fails with ErrDepth past the nesting limit.
func (d *Decoder) Open(c byte) bool {
	if d.Look() != c {
		return false
	}
	limit := d.MaxDepth
	if limit <= 0 {
		limit = MaxDepth
	}
	if d.depth++; d.depth > limit {
		d.fail(ErrDepth, "nesting too deep")
		return false
	}
	d.pos++
	return true
}

// More reports whether another element or member follows in the array or
// object that close ('}' or ']') ends, n of them having been read; it
// reads the comma before it, or the closing bracket.
func (d *Decoder) More(close byte, n int) bool {
	c := d.Look()
	switch {
	case d.err != nil:
		return false
	case c == close:
		d.pos++
		d.depth--
		return false
	case n == 0:
		return true
	case c == ',':
		d.pos++
		return true
	case close == '}':
		d.fail(ErrComma, "expected , or }")
	default:
		d.fail(ErrComma, "expected , or ]")
	}
	return false
}

// Key reads an object key and the colon after it and returns the key as
// Str does.
func (d *Decoder) Key() []byte {
	if d.Look() != '"' {
		d.fail(ErrKey, "expected a string as an object key")
		return nil
	}
	k, _ := d.Str()
	if d.pos < len(d.data) && d.data[d.pos] == ':' {
		d.pos++
	} else {
		d.colon()
	}
	return k
}

func (d *Decoder) colon() {
	if d.Look() != ':' {
		d.fail(ErrColon, "expected : after an object key")
		return
	}
	d.pos++
}

// Str reads a string (the next value must be one) and returns its decoded
// contents: a subslice of the input when it needs no decoding (inPlace),
// else of Scratch.
func (d *Decoder) Str() (b []byte, inPlace bool) {
	d.ws()
	start := d.pos + 1
	if start > len(d.data) {
		start = len(d.data)
	}
	// Most strings are plain bytes only: read them without the loop.
	if end := start + PlainPrefix(d.data[start:]); end < len(d.data) && d.data[end] == '"' {
		d.pos = end + 1
		return d.data[start:end:end], true
	}
	start, end, decode := d.scanString()
	if d.err != nil {
		return nil, false
	}
	if !decode {
		return d.data[start:end:end], true
	}
	from := len(d.Scratch)
	d.Scratch = appendUnescaped(d.Scratch, d.data[start:end], d.Lossy)
	return d.Scratch[from:len(d.Scratch):len(d.Scratch)], false
}

// scanString checks the string at d.pos (a '"') and reads it; start and
// end bound its contents, and decode reports escapes (or, with Lossy,
// invalid UTF-8) that Str must decode.
func (d *Decoder) scanString() (start, end int, decode bool) {
	data := d.data
	start = d.pos + 1
	i := start
	for {
		i += PlainPrefix(data[i:])
		if i >= len(data) {
			d.failAt(start-1, ErrUnterminated, "unterminated string")
			return 0, 0, false
		}
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return start, i, decode
		case c == '\\':
			if i+1 >= len(data) {
				d.failAt(start-1, ErrUnterminated, "unterminated string")
				return 0, 0, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(data, i+2); !ok {
					d.failAt(i+2, ErrUnicodeEscape, "invalid \\u escape")
					return 0, 0, false
				}
				i += 6
			default:
				d.failAt(i, ErrEscape, "invalid escape")
				return 0, 0, false
			}
			decode = true
		case c < 0x20:
			d.failAt(i, ErrControl, "control character in string")
			return 0, 0, false
		case c >= 0xC2 && c <= 0xDF && i+1 < len(data) && data[i+1]&0xC0 == 0x80:
			// Valid two-byte runes (Arabic script): the common case, a word at a time.
			for i += 2; i+1 < len(data) && data[i] >= 0xC2 && data[i] <= 0xDF && data[i+1]&0xC0 == 0x80; i += 2 {
			}
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				if !d.Lossy {
					d.failAt(i, ErrUTF8, "invalid UTF-8 in string")
					return 0, 0, false
				}
				decode = true
			}
			i += n
		}
	}
}

// Number reads a number (the next value must be one) and returns its text.
func (d *Decoder) Number() []byte {
	d.ws()
	data, start := d.data, d.pos
	i := start
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i)
	default:
		d.failAt(i, ErrValue, "expected a value")
		return nil
	}
	if i < len(data) && data[i] == '.' {
		if i++; i >= len(data) || !isDigit(data[i]) {
			d.failAt(i, ErrDigit, "expected a digit")
			return nil
		}
		i = digits(data, i)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		if i++; i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			d.failAt(i, ErrDigit, "expected a digit")
			return nil
		}
		i = digits(data, i)
	}
	d.pos = i
	return data[start:i:i]
}

func digits(data []byte, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}

// Literal reads lit (true, false or null), which must be next.
func (d *Decoder) Literal(lit string) bool {
	d.ws()
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		d.fail(ErrValue, "expected a value")
		return false
	}
	d.pos += len(lit)
	return true
}

// Null reads a null if one is next and reports whether it did.
func (d *Decoder) Null() bool { return d.Look() == 'n' && d.Literal("null") }

// ReadValue reads any value and returns its kind and its text: a string's
// contents as Str returns them, any other value's JSON text.
func (d *Decoder) ReadValue() (Kind, []byte) {
	switch c := d.Look(); c {
	case '"':
		b, _ := d.Str()
		return String, b
	case '{', '[':
		start := d.pos
		d.Skip()
		if d.err != nil {
			return Invalid, nil
		}
		if c == '[' {
			return Array, d.data[start:d.pos:d.pos]
		}
		return Object, d.data[start:d.pos:d.pos]
	case 't':
		return d.lit(Bool, "true")
	case 'f':
		return d.lit(Bool, "false")
	case 'n':
		return d.lit(Null, "null")
	}
	if b := d.Number(); b != nil {
		return Number, b
	}
	return Invalid, nil
}

func (d *Decoder) lit(k Kind, s string) (Kind, []byte) {
	start := d.pos
	if !d.Literal(s) {
		return Invalid, nil
	}
	return k, d.data[start:d.pos:d.pos]
}

// Skip reads and discards any one value, checking it.
func (d *Decoder) Skip() {
	switch d.Look() {
	case '{':
		if d.Open('{') {
			for n := 0; d.More('}', n); n++ {
				if d.Look() != '"' {
					d.fail(ErrKey, "expected a string as an object key")
					return
				}
				d.scanString()
				d.colon()
				d.Skip()
			}
		}
	case '[':
		if d.Open('[') {
			for n := 0; d.More(']', n); n++ {
				d.Skip()
			}
		}
	case '"':
		d.scanString()
	case 't':
		d.Literal("true")
	case 'f':
		d.Literal("false")
	case 'n':
		d.Literal("null")
	default:
		d.Number()
	}
}
