package abi

import (
	"bytes"
	"strconv"
	"unsafe"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// This file holds the small, reflection-free JSON writer and reader the codec
// is built on, over sdk/jsonlite (its string writer and its Decoder). It
// knows exactly the JSON subset the ABI messages use: objects, arrays,
// strings, integers, booleans and null. It never uses reflect or fmt, so a
// guest that imports this package stays small and fast.

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

// reader is the codec's view of jsonlite.Decoder, the one JSON reader: it
// adds the ABI's shapes (a member of the wrong type is a *DecodeError),
// null as absent, and the framed tail. Like encoding/json, it reads invalid
// UTF-8 in a string as U+FFFD. The first error is sticky.
type reader struct {
	d    jsonlite.Decoder
	data []byte
	// view: strings that need no decoding alias data instead of being
	// copied (the View decoders; see DecodeMessageView).
	view bool
}

func newReader(data []byte, view bool) reader {
	d := jsonlite.NewDecoder(data)
	d.Lossy = true
	return reader{d: d, data: data, view: view}
}

func (r *reader) fail(msg string) { r.d.Fail(msg) }

func (r *reader) err() error {
	if err := r.d.Err(); err != nil {
		se := err.(*jsonlite.SyntaxError)
		return &DecodeError{Offset: se.Offset, Msg: se.Msg}
	}
	return nil
}

// peek returns the next non-space byte, or 0 at the end of the input.
func (r *reader) peek() byte { return r.d.Look() }

// end checks that only white space is left.
func (r *reader) end() error {
	r.d.End()
	return r.err()
}

// tail ends a framed message: the JSON value must have ended (no white
// space after it) exactly n bytes before the end of the input, and those n
// bytes are returned. It reports a *DecodeError for a JSON error or a length
// that does not match.
func (r *reader) tail(n int64) ([]byte, error) {
	if err := r.err(); err != nil {
		return nil, err
	}
	pos := r.d.Pos()
	rest := len(r.data) - pos
	if n < 0 || n != int64(rest) {
		return nil, &DecodeError{Offset: pos, Msg: "body_len " + strconv.FormatInt(n, 10) +
			" does not match the " + strconv.Itoa(rest) + " bytes after the JSON"}
	}
	return r.data[pos:], nil
}

// null consumes a null if one is next and reports whether it did.
func (r *reader) null() bool { return r.d.Null() }

// open consumes the opening byte of an object or array.
func (r *reader) open(c byte) bool {
	if r.d.Open(c) {
		return true
	}
	if c == '{' {
		r.fail("expected an object")
	} else {
		r.fail("expected an array")
	}
	return false
}

// more reports whether another member (i > 0: after a comma) follows in the
// object or array closed by close; it consumes the close or the comma.
func (r *reader) more(close byte, i int) bool { return r.d.More(close, i) }

// key reads an object key and its colon. The result aliases the input or the
// decoder's scratch: compare it at once.
func (r *reader) key() []byte { return r.d.Key() }

// str reads a string value; null leaves def.
func (r *reader) str(def string) string {
	if r.null() {
		return def
	}
	if r.peek() != '"' {
		r.fail("expected a string")
		return def
	}
	b, inPlace := r.d.Str()
	switch {
	case r.d.Err() != nil:
		return def
	case r.view && inPlace && len(b) > 0:
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// boolean reads true or false; null leaves def.
func (r *reader) boolean(def bool) bool {
	switch r.peek() {
	case 't':
		return r.d.Literal("true")
	case 'f':
		r.d.Literal("false")
		return false
	case 'n':
		r.d.Literal("null")
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
	if c := r.peek(); c != '-' && (c < '0' || c > '9') {
		r.fail("expected an integer")
		return def
	}
	num := r.d.Number()
	if r.d.Err() != nil {
		return def
	}
	if p := r.d.Pos(); p < len(r.data) && r.data[p] >= '0' && r.data[p] <= '9' {
		r.fail("leading zero in number")
		return def
	}
	n, ok := jsonlite.ParseInt(num)
	switch {
	case ok:
		return n
	case bytes.ContainsAny(num, ".eE"):
		r.fail("expected an integer")
	default:
		r.fail("integer out of range")
	}
	return def
}

// skip reads and discards any one JSON value (an unknown member).
func (r *reader) skip() { r.d.Skip() }

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
	if r.d.Err() != nil {
		return nil
	}
	return out
}
