// Package jsonlite is a small, reflection-free JSON reader and writer for
// plugin guests, and the project's one JSON reader.
//
// encoding/json costs tens of microseconds per call inside a Go wasm guest
// (reflection, allocation, a large binary). jsonlite reads values by path
// straight out of the document, without building a tree, and appends JSON
// text to byte slices. It uses neither reflect nor fmt.
//
// Reading is strict: Parse (and Get, which calls it) validates the whole
// document against RFC 8259 before answering, so a malformed document is
// rejected rather than half-read; strings must be valid UTF-8 and nesting
// is bounded by MaxDepth. Nothing here panics on hostile input. When an
// object has the same key twice, the last one wins, as in encoding/json.
// Decoder is the reader underneath, also used directly by the ABI codec
// (sdk/abi) and the server's request bodies.
package jsonlite

import (
	"bytes"
	"iter"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects in a document; deeper
// documents are refused by Parse.
const MaxDepth = 64

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of Value. Invalid is the zero Value's kind (a missing value).
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

// String returns the kind's name ("string", "number", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one JSON value inside a validated document: a view of its bytes,
// valid as long as the document is not modified. The zero Value is Invalid
// (a missing value); all methods are safe on it.
type Value struct {
	raw []byte
}

// Parse validates doc as exactly one JSON value (surrounded by optional
// whitespace) and returns it. A document that is not valid JSON, holds
// invalid UTF-8 in a string, or nests deeper than MaxDepth is refused.
func Parse(doc []byte) (Value, error) {
	d := NewDecoder(doc)
	d.Look()
	start := d.pos
	d.Skip()
	end := d.pos
	if err := d.End(); err != nil {
		return Value{}, err
	}
	return Value{raw: doc[start:end]}, nil
}

// Valid reports whether doc is a document Parse accepts.
func Valid(doc []byte) bool {
	_, err := Parse(doc)
	return err == nil
}

// Get parses doc and returns the value at path (see Value.Get). It reports
// false when doc is malformed or the path does not exist.
func Get(doc []byte, path ...string) (Value, bool) {
	v, err := Parse(doc)
	if err != nil {
		return Value{}, false
	}
	return v.Get(path...)
}

// Kind returns the value's JSON type.
func (v Value) Kind() Kind {
	if len(v.raw) == 0 {
		return Invalid
	}
	switch v.raw[0] {
	case 'n':
		return Null
	case 't', 'f':
		return Bool
	case '"':
		return String
	case '[':
		return Array
	case '{':
		return Object
	default:
		return Number
	}
}

// Exists reports whether v is a value (not the zero Value).
func (v Value) Exists() bool { return len(v.raw) != 0 }

// Raw returns the value's JSON text exactly as in the document.
func (v Value) Raw() []byte { return v.raw }

// IsNull reports whether v is the JSON null.
func (v Value) IsNull() bool { return v.Kind() == Null }

// Get walks path from v: for an object each element is a member name, for
// an array a decimal index ("0", "1", ...). With no path it returns v.
func (v Value) Get(path ...string) (Value, bool) {
	cur := v
	for _, p := range path {
		var ok bool
		switch cur.Kind() {
		case Object:
			cur, ok = cur.member(p)
		case Array:
			n, isIdx := parseIndex(p)
			if !isIdx {
				return Value{}, false
			}
			cur, ok = cur.Index(n)
		default:
			return Value{}, false
		}
		if !ok {
			return Value{}, false
		}
	}
	return cur, cur.Exists()
}

// member finds key in an object value; the last duplicate wins.
func (v Value) member(key string) (Value, bool) {
	var found Value
	ok := false
	it := v.Iter()
	for it.Next() {
		if it.key.Equal(key) {
			found, ok = it.val, true
		}
	}
	return found, ok
}

// Index returns the n-th element of an array value.
func (v Value) Index(n int) (Value, bool) {
	if n < 0 || v.Kind() != Array {
		return Value{}, false
	}
	it := v.Iter()
	for i := 0; it.Next(); i++ {
		if i == n {
			return it.val, true
		}
	}
	return Value{}, false
}

// Len returns the number of elements of an array or members of an object
// (duplicates counted), and 0 for other kinds.
func (v Value) Len() int {
	n := 0
	for it := v.Iter(); it.Next(); {
		n++
	}
	return n
}

// Elements iterates over the elements of an array value, in order. It
// yields nothing for other kinds.
func (v Value) Elements() iter.Seq2[int, Value] {
	return func(yield func(int, Value) bool) {
		if v.Kind() != Array {
			return
		}
		it := v.Iter()
		for i := 0; it.Next(); i++ {
			if !yield(i, it.val) {
				return
			}
		}
	}
}

// Members iterates over the members of an object value, in document order
// (duplicates included). The key is a String value: use Key.Equal to compare
// it without allocating, or Key.String to unescape it.
func (v Value) Members() iter.Seq2[Value, Value] {
	return func(yield func(Value, Value) bool) {
		if v.Kind() != Object {
			return
		}
		it := v.Iter()
		for it.Next() {
			if !yield(it.key, it.val) {
				return
			}
		}
	}
}

// Iter walks the elements of an array or the members of an object without
// closures, which keeps it cheap in a wasm guest:
//
//	it := v.Iter()
//	for it.Next() {
//		k, e := it.Key(), it.Value()
//	}
//
// The zero Iter, and the Iter of any other kind, yields nothing.
type Iter struct {
	d        []byte
	i        int
	obj      bool
	started  bool
	key, val Value
}

// Iter returns an iterator over v's elements or members.
func (v Value) Iter() Iter {
	switch v.Kind() {
	case Array:
		return Iter{d: v.raw}
	case Object:
		return Iter{d: v.raw, obj: true}
	}
	return Iter{}
}

// Next advances to the next element or member and reports whether there is one.
func (it *Iter) Next() bool {
	d := it.d
	if len(d) == 0 {
		return false
	}
	i := it.i
	if !it.started {
		it.started = true
		i = skipWS(d, 1)
	} else {
		i = skipWS(d, i)
		if i >= len(d) || d[i] != ',' {
			it.d = nil
			return false
		}
		i = skipWS(d, i+1)
	}
	if i >= len(d) || d[i] == '}' || d[i] == ']' {
		it.d = nil
		return false
	}
	if it.obj {
		kend := skipString(d, i)
		it.key = Value{raw: d[i:kend]}
		i = skipWS(d, kend)
		i = skipWS(d, i+1) // the ':'
	}
	end := skip(d, i)
	it.val = Value{raw: d[i:end]}
	it.i = end
	return true
}

// Key returns the current member's name (a String value); zero for arrays.
func (it *Iter) Key() Value { return it.key }

// Value returns the current element or member value.
func (it *Iter) Value() Value { return it.val }

// String returns the unescaped contents of a string value (\uXXXX escapes
// and surrogate pairs decoded; a lone surrogate becomes U+FFFD, as in
// encoding/json). For other kinds it returns the raw JSON text (so a number
// reads as written), and "" for the zero Value.
func (v Value) String() string {
	if v.Kind() != String {
		return string(v.raw)
	}
	body := v.raw[1 : len(v.raw)-1]
	if indexByte(body, '\\') < 0 {
		return string(body)
	}
	return string(appendUnescaped(make([]byte, 0, len(body)), body, false))
}

// AppendText appends what String returns to dst, without an intermediate
// string.
func (v Value) AppendText(dst []byte) []byte {
	if v.Kind() != String {
		return append(dst, v.raw...)
	}
	return appendUnescaped(dst, v.raw[1:len(v.raw)-1], false)
}

// Equal reports whether v is a string value whose unescaped contents are s.
// It does not allocate.
func (v Value) Equal(s string) bool {
	if v.Kind() != String {
		return false
	}
	body := v.raw[1 : len(v.raw)-1]
	if indexByte(body, '\\') < 0 {
		return string(body) == s
	}
	// Compare rune by rune against the decoded escape sequences.
	var buf [utf8.UTFMax]byte
	j := 0
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			if j >= len(s) || s[j] != c {
				return false
			}
			i++
			j++
			continue
		}
		r, n := decodeEscape(body, i)
		i += n
		w := utf8.EncodeRune(buf[:], r)
		if len(s)-j < w || s[j:j+w] != string(buf[:w]) {
			return false
		}
		j += w
	}
	return j == len(s)
}

// Int returns the value of an integer number (no fraction, no exponent)
// that fits in an int64.
func (v Value) Int() (int64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	return ParseInt(v.raw)
}

// ParseInt parses the text of a JSON number that is an integer (no
// fraction, no exponent) within int64, without allocating.
func ParseInt(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range digits {
		if !isDigit(c) || u > (1<<63)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), true //nolint:gosec // -(1<<63) wraps to MinInt64 as intended
	case !neg && u < 1<<63:
		return int64(u), true
	}
	return 0, false
}

// Uint returns the value of a non-negative integer number that fits in a
// uint64.
func (v Value) Uint() (uint64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v.raw), 10, 64)
	return n, err == nil
}

// Float returns the value of a number as a float64 (false when it is out
// of range).
func (v Value) Float() (float64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v.raw), 64)
	return f, err == nil
}

// Bool returns the value of true or false.
func (v Value) Bool() (val bool, ok bool) {
	if v.Kind() != Bool {
		return false, false
	}
	return v.raw[0] == 't', true
}

func skipWS(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ---- skipping inside an already validated value ----

// skip returns the offset just past the value at d[i]; d is known valid.
func skip(d []byte, i int) int {
	if i >= len(d) {
		return i
	}
	switch d[i] {
	case '"':
		return skipString(d, i)
	case '{', '[':
		depth := 0
		for i < len(d) {
			switch d[i] {
			case '"':
				i = skipString(d, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number or literal
		for i < len(d) {
			switch d[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

func skipString(d []byte, i int) int {
	i++
	for i < len(d) {
		q := bytes.IndexByte(d[i:], '"')
		if q < 0 {
			return len(d)
		}
		b := bytes.IndexByte(d[i:i+q], '\\')
		if b < 0 {
			return i + q + 1
		}
		i += b + 2
	}
	return len(d)
}

// ---- decoding strings ----

// decodeEscape decodes the escape at body[i] (a backslash) of a checked
// string and returns the rune and the number of bytes read. A surrogate
// that is not half of a pair reads as U+FFFD, as in encoding/json.
func decodeEscape(body []byte, i int) (rune, int) {
	switch body[i+1] {
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, _ := hex4(body, i+2)
		if utf16.IsSurrogate(r) {
			if len(body)-i >= 12 && body[i+6] == '\\' && body[i+7] == 'u' {
				lo, _ := hex4(body, i+8)
				if c := utf16.DecodeRune(r, lo); c != utf8.RuneError {
					return c, 12
				}
			}
			return utf8.RuneError, 6
		}
		return r, 6
	default: // '"', '\\', '/'
		return rune(body[i+1]), 2
	}
}

// appendUnescaped appends the decoded contents of a checked string to dst;
// with lossy, each byte of invalid UTF-8 becomes U+FFFD.
func appendUnescaped(dst, body []byte, lossy bool) []byte {
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == '\\':
			r, n := decodeEscape(body, i)
			dst = utf8.AppendRune(dst, r)
			i += n
		case c >= utf8.RuneSelf && lossy:
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, r)
			} else {
				dst = append(dst, body[i:i+n]...)
			}
			i += n
		default:
			j := i + 1
			for j < len(body) && body[j] != '\\' && (body[j] < utf8.RuneSelf || !lossy) {
				j++
			}
			dst = append(dst, body[i:j]...)
			i = j
		}
	}
	return dst
}

// hex4 reads the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i < 0 || len(b)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

// parseIndex parses a decimal array index without sign or leading zeros.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
