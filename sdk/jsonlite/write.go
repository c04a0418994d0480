package jsonlite

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a quoted JSON string. It escapes '"',
// '\\', control characters, U+2028 and U+2029; invalid UTF-8 becomes
// U+FFFD (as encoding/json does, without its HTML escaping of <, > and &).
// Runs of plain bytes (PlainPrefix) are copied at once.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i += PlainPrefix(unsafe.Slice(unsafe.StringData(s[i:]), len(s)-i))
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2 // a valid two-byte rune (Arabic script, Persian): kept as is
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but not valid inside JavaScript strings.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&15])
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// PlainPrefix returns the length of the longest prefix of b made of
// printable ASCII other than '"' and '\\': the bytes a JSON string holds as
// they are. It tests eight bytes at a time: in a wasm guest, where every
// byte of a loop costs several instructions and a bounds check, that is most
// of the cost of reading and writing strings.
func PlainPrefix(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := *(*uint64)(unsafe.Pointer(&b[i])) // any byte order will do
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		// A byte < 0x20, == '"', == '\\' or >= 0x80 sets its high bit in one
		// of the terms; with none of them, no subtraction borrows, so no
		// other byte can set one.
		if ((x-0x20*ones)|((x^('"'*ones))-ones)|((x^('\\'*ones))-ones)|x)&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] >= 0x20 && b[i] < 0x80 && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}

// AppendInt appends the integer n.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// AppendUint appends the unsigned integer n.
func AppendUint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

// AppendFloat appends f formatted as encoding/json does (shortest
// representation; exponent form below 1e-6 and from 1e21). NaN and the
// infinities, which JSON cannot represent, are written as null.
func AppendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// AppendBool appends true or false.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// AppendNull appends null.
func AppendNull(dst []byte) []byte { return append(dst, "null"...) }

// AppendKey appends an object key: the quoted name and a colon.
func AppendKey(dst []byte, key string) []byte {
	return append(AppendString(dst, key), ':')
}

// Writer builds a JSON document, inserting the commas between members and
// elements. Its zero value is ready to use; Reset reuses the buffer. A
// Writer does not check that keys and values alternate correctly: it is a
// thin helper over the Append functions, not a validator.
type Writer struct {
	buf []byte
	// first is true right after a container opens (no comma before the
	// next member or element); afterKey is true between a key and its value.
	first    bool
	afterKey bool
}

// NewWriter returns a Writer that appends to buf[:0].
func NewWriter(buf []byte) *Writer { return &Writer{buf: buf[:0], first: true} }

// Reset empties the Writer, keeping its buffer.
func (w *Writer) Reset() { w.buf, w.first, w.afterKey = w.buf[:0], true, false }

// Bytes returns the document written so far. It aliases the Writer's buffer.
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) sep() {
	switch {
	case w.afterKey:
		w.afterKey = false
	case !w.first && len(w.buf) > 0:
		w.buf = append(w.buf, ',')
	}
	w.first = false
}

// ObjectStart writes '{'.
func (w *Writer) ObjectStart() *Writer {
	w.sep()
	w.buf = append(w.buf, '{')
	w.first = true
	return w
}

// ObjectEnd writes '}'.
func (w *Writer) ObjectEnd() *Writer {
	w.buf = append(w.buf, '}')
	w.first, w.afterKey = false, false
	return w
}

// ArrayStart writes '['.
func (w *Writer) ArrayStart() *Writer {
	w.sep()
	w.buf = append(w.buf, '[')
	w.first = true
	return w
}

// ArrayEnd writes ']'.
func (w *Writer) ArrayEnd() *Writer {
	w.buf = append(w.buf, ']')
	w.first, w.afterKey = false, false
	return w
}

// Key writes a member name; the next call writes its value.
func (w *Writer) Key(k string) *Writer {
	w.sep()
	w.buf = AppendKey(w.buf, k)
	w.afterKey = true
	return w
}

// String writes a string value.
func (w *Writer) String(s string) *Writer {
	w.sep()
	w.buf = AppendString(w.buf, s)
	return w
}

// Int writes an integer value.
func (w *Writer) Int(n int64) *Writer {
	w.sep()
	w.buf = AppendInt(w.buf, n)
	return w
}

// Uint writes an unsigned integer value.
func (w *Writer) Uint(n uint64) *Writer {
	w.sep()
	w.buf = AppendUint(w.buf, n)
	return w
}

// Float writes a number value (see AppendFloat).
func (w *Writer) Float(f float64) *Writer {
	w.sep()
	w.buf = AppendFloat(w.buf, f)
	return w
}

// Bool writes true or false.
func (w *Writer) Bool(b bool) *Writer {
	w.sep()
	w.buf = AppendBool(w.buf, b)
	return w
}

// Null writes null.
func (w *Writer) Null() *Writer {
	w.sep()
	w.buf = AppendNull(w.buf)
	return w
}

// Raw writes already encoded JSON text as a value (not checked).
func (w *Writer) Raw(js []byte) *Writer {
	w.sep()
	w.buf = append(w.buf, js...)
	return w
}
