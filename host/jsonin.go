package host

import (
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the request-body reader of the hot path: a small JSON parser
// that knows only what the API's bodies are, one object of scalar fields. It
// validates the whole input as strict JSON (RFC 8259, UTF-8), keeps the
// values of the keys a handler asks for, and skips the rest, without
// reflection and without allocating for ASCII bodies without escapes.
// FuzzParseObject checks it against encoding/json.

// maxJSONDepth bounds the nesting the parser walks through, also in values
// it skips.
const maxJSONDepth = 32

// kind is the JSON type of a field value.
type kind uint8

const (
	kindAbsent kind = iota // the key was not in the body
	kindNull
	kindString
	kindNumber
	kindBool
	kindObject
	kindArray
)

// value is one field of a request body. For kindString b is the decoded
// string, for kindNumber and kindBool the literal. b may alias the request
// body or the parser's scratch buffer, so it is only valid during the
// request.
type value struct {
	kind kind
	b    []byte
}

// syntaxError is a JSON syntax error. Its text is a short message with a
// position, in the style of Python's json module (which DRF's answer
// carries), and never anything internal.
type syntaxError struct {
	msg string
	off int
}

// parser holds the state of one parse.
type parser struct {
	in      []byte
	pos     int
	scratch []byte // decoded strings with escapes
}

// notObjectError reports valid JSON whose top level is not an object; typ is
// Python's name of the type found, as DRF's message uses it.
type notObjectError struct{ typ string }

// parseObject parses body, which must be one JSON object, and stores in
// vals[i] the value of key names[i] (the last one when a key repeats, as
// Python does). Keys not in names are validated and skipped. scratch is
// reused for decoded escapes and returned grown.
func parseObject(body []byte, names []string, vals []value, scratch []byte) ([]byte, *syntaxError, *notObjectError) {
	p := parser{in: body, scratch: scratch[:0]}
	p.ws()
	if p.pos >= len(p.in) {
		return p.scratch, p.fail("Expecting value"), nil
	}
	if p.in[p.pos] != '{' {
		var v value
		if err := p.value(&v, 0); err != nil {
			return p.scratch, err, nil
		}
		p.ws()
		if p.pos != len(p.in) {
			return p.scratch, p.fail("Extra data"), nil
		}
		return p.scratch, nil, &notObjectError{typ: pythonType(v)}
	}
	p.pos++
	p.ws()
	if p.peek() == '}' {
		p.pos++
	} else {
		for {
			p.ws()
			if p.peek() != '"' {
				return p.scratch, p.fail("Expecting property name enclosed in double quotes"), nil
			}
			var key value
			if err := p.str(&key); err != nil {
				return p.scratch, err, nil
			}
			p.ws()
			if p.peek() != ':' {
				return p.scratch, p.fail("Expecting ':' delimiter"), nil
			}
			p.pos++
			p.ws()
			idx := -1
			for i, n := range names {
				if string(key.b) == n {
					idx = i
					break
				}
			}
			var v value
			if err := p.value(&v, 1); err != nil {
				return p.scratch, err, nil
			}
			if idx >= 0 {
				vals[idx] = v
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.pos++
				continue
			case '}':
				p.pos++
			default:
				return p.scratch, p.fail("Expecting ',' delimiter"), nil
			}
			break
		}
	}
	p.ws()
	if p.pos != len(p.in) {
		return p.scratch, p.fail("Extra data"), nil
	}
	return p.scratch, nil, nil
}

// pythonType names v's type as Python's json module would decode it.
func pythonType(v value) string {
	switch v.kind {
	case kindNull:
		return "NoneType"
	case kindString:
		return "str"
	case kindBool:
		return "bool"
	case kindArray:
		return "list"
	case kindNumber:
		for _, c := range v.b {
			if c == '.' || c == 'e' || c == 'E' {
				return "float"
			}
		}
		return "int"
	}
	return "dict"
}

func (p *parser) fail(msg string) *syntaxError { return &syntaxError{msg: msg, off: p.pos} }

func (p *parser) peek() byte {
	if p.pos < len(p.in) {
		return p.in[p.pos]
	}
	return 0
}

func (p *parser) ws() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses any JSON value into v. Objects and arrays are validated and
// skipped; their v.b is empty.
func (p *parser) value(v *value, depth int) *syntaxError {
	switch c := p.peek(); {
	case c == '{':
		v.kind = kindObject
		return p.skip(depth)
	case c == '[':
		v.kind = kindArray
		return p.skip(depth)
	case c == '"':
		return p.str(v)
	case c == 't':
		return p.literal(v, "true", kindBool)
	case c == 'f':
		return p.literal(v, "false", kindBool)
	case c == 'n':
		return p.literal(v, "null", kindNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(v)
	}
	return p.fail("Expecting value")
}

// skip validates and skips the value at p.pos. It is recursive for nested
// objects and arrays, up to maxJSONDepth, and keeps nothing (so that no
// value escapes to the heap).
func (p *parser) skip(depth int) *syntaxError {
	if depth > maxJSONDepth {
		return p.fail("Nesting too deep")
	}
	var tmp value
	switch p.peek() {
	case '{':
		p.pos++
		p.ws()
		if p.peek() == '}' {
			p.pos++
			return nil
		}
		for {
			p.ws()
			if p.peek() != '"' {
				return p.fail("Expecting property name enclosed in double quotes")
			}
			if err := p.str(&tmp); err != nil {
				return err
			}
			p.ws()
			if p.peek() != ':' {
				return p.fail("Expecting ':' delimiter")
			}
			p.pos++
			p.ws()
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.pos++
			case '}':
				p.pos++
				return nil
			default:
				return p.fail("Expecting ',' delimiter")
			}
		}
	case '[':
		p.pos++
		p.ws()
		if p.peek() == ']' {
			p.pos++
			return nil
		}
		for {
			p.ws()
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.pos++
			case ']':
				p.pos++
				return nil
			default:
				return p.fail("Expecting ',' delimiter")
			}
		}
	}
	return p.value(&tmp, depth)
}

func (p *parser) literal(v *value, lit string, k kind) *syntaxError {
	if len(p.in)-p.pos < len(lit) || string(p.in[p.pos:p.pos+len(lit)]) != lit {
		return p.fail("Expecting value")
	}
	v.kind, v.b = k, p.in[p.pos:p.pos+len(lit)]
	p.pos += len(lit)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number parses an RFC 8259 number.
func (p *parser) number(v *value) *syntaxError {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	switch c := p.peek(); {
	case c == '0':
		p.pos++
	case c >= '1' && c <= '9':
		for isDigit(p.peek()) {
			p.pos++
		}
	default:
		return p.fail("Expecting value")
	}
	if p.peek() == '.' {
		p.pos++
		if !isDigit(p.peek()) {
			return p.fail("Expecting digit")
		}
		for isDigit(p.peek()) {
			p.pos++
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if !isDigit(p.peek()) {
			return p.fail("Expecting digit")
		}
		for isDigit(p.peek()) {
			p.pos++
		}
	}
	v.kind, v.b = kindNumber, p.in[start:p.pos]
	return nil
}

// str parses a string at p.pos (which is '"'). Without escapes v.b aliases
// the input; with escapes it is decoded into the scratch buffer.
func (p *parser) str(v *value) *syntaxError {
	p.pos++ // opening quote
	start := p.pos
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch {
		case c == '"':
			v.kind, v.b = kindString, p.in[start:p.pos]
			p.pos++
			return nil
		case c == '\\':
			return p.strEscaped(v, start)
		case c < 0x20:
			return p.fail("Invalid control character")
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.in[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return p.fail("Invalid UTF-8")
			}
			p.pos += size
		}
	}
	return &syntaxError{msg: "Unterminated string starting at", off: start - 1}
}

// strEscaped continues a string that has escapes, from p.pos (a backslash),
// decoding into the scratch buffer.
func (p *parser) strEscaped(v *value, start int) *syntaxError {
	from := len(p.scratch)
	p.scratch = append(p.scratch, p.in[start:p.pos]...)
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			v.kind, v.b = kindString, p.scratch[from:len(p.scratch):len(p.scratch)]
			return nil
		case c == '\\':
			if p.pos+1 >= len(p.in) {
				return &syntaxError{msg: "Unterminated string starting at", off: start - 1}
			}
			e := p.in[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				p.scratch = append(p.scratch, e)
			case 'b':
				p.scratch = append(p.scratch, '\b')
			case 'f':
				p.scratch = append(p.scratch, '\f')
			case 'n':
				p.scratch = append(p.scratch, '\n')
			case 'r':
				p.scratch = append(p.scratch, '\r')
			case 't':
				p.scratch = append(p.scratch, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return p.fail("Invalid \\uXXXX escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					if p.pos+1 < len(p.in) && p.in[p.pos] == '\\' && p.in[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						lo, ok := p.hex4()
						if !ok {
							return p.fail("Invalid \\uXXXX escape")
						}
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
						} else {
							p.pos = save // not a pair: the second escape stands alone
						}
					}
					r = r2
				}
				p.scratch = utf8.AppendRune(p.scratch, r)
			default:
				p.pos -= 2
				return p.fail("Invalid \\escape")
			}
		case c < 0x20:
			return p.fail("Invalid control character")
		case c < utf8.RuneSelf:
			p.scratch = append(p.scratch, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.in[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return p.fail("Invalid UTF-8")
			}
			p.scratch = append(p.scratch, p.in[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
	return &syntaxError{msg: "Unterminated string starting at", off: start - 1}
}

// hex4 reads four hex digits at p.pos.
func (p *parser) hex4() (rune, bool) {
	if len(p.in)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.in[p.pos : p.pos+4] {
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
	p.pos += 4
	return r, true
}

// position converts a byte offset into Python's line, column (1-based, in
// characters) and char (0-based, in characters) for an error message.
func position(in []byte, off int) (line, col, char int) {
	if off > len(in) {
		off = len(in)
	}
	line, col = 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(in[i:])
		i += size
		char++
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col, char
}
