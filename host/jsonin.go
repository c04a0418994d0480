package host

import (
	"unicode/utf8"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// This file reads request bodies with jsonlite.Decoder, the project's one
// JSON reader (strict RFC 8259 and UTF-8), and words its errors as
// Python's json module does, because DRF clients show that text.

// maxJSONDepth bounds the nesting of a body, the top-level object
// included.
const maxJSONDepth = 33

// kind is the JSON type of a field value; kindAbsent: the key was not in
// the body.
type kind = jsonlite.Kind

const (
	kindAbsent = jsonlite.Invalid
	kindNull   = jsonlite.Null
	kindString = jsonlite.String
	kindNumber = jsonlite.Number
	kindBool   = jsonlite.Bool
	kindObject = jsonlite.Object
	kindArray  = jsonlite.Array
)

// value is one field of a request body: for kindString b is the decoded
// string, for kindNumber and kindBool the literal. b may alias the request
// body or the scratch buffer, so it is only valid during the request.
type value struct {
	kind kind
	b    []byte
}

// syntaxError is a JSON syntax error: msg is Python's wording, off the byte
// offset; never anything internal.
type syntaxError struct {
	msg string
	off int
}

// pythonMsg is Python's json module's wording of each jsonlite error.
var pythonMsg = [...]string{
	jsonlite.ErrValue:         "Expecting value",
	jsonlite.ErrKey:           "Expecting property name enclosed in double quotes",
	jsonlite.ErrColon:         "Expecting ':' delimiter",
	jsonlite.ErrComma:         "Expecting ',' delimiter",
	jsonlite.ErrDigit:         "Expecting digit",
	jsonlite.ErrUnterminated:  "Unterminated string starting at",
	jsonlite.ErrEscape:        "Invalid \\escape",
	jsonlite.ErrUnicodeEscape: "Invalid \\uXXXX escape",
	jsonlite.ErrControl:       "Invalid control character",
	jsonlite.ErrUTF8:          "Invalid UTF-8",
	jsonlite.ErrDepth:         "Nesting too deep",
	jsonlite.ErrExtra:         "Extra data",
	jsonlite.ErrShape:         "Expecting value",
}

// notObjectError reports valid JSON whose top level is not an object; typ is
// Python's name of the type found, as DRF's message uses it.
type notObjectError struct{ typ string }

// parseObject parses body, which must be one JSON object, and stores in
// vals[i] the value of key names[i] (the last one when a key repeats, as
// Python does). Keys not in names are checked and skipped. scratch is
// reused for decoded escapes and returned grown.
func parseObject(body []byte, names []string, vals []value, scratch []byte) ([]byte, *syntaxError, *notObjectError) {
	d := jsonlite.NewDecoder(body)
	d.MaxDepth, d.Scratch = maxJSONDepth, scratch[:0]
	var nerr *notObjectError
	if d.Open('{') {
		for n := 0; d.More('}', n); n++ {
			key := d.Key()
			idx := -1
			for i, name := range names {
				if string(key) == name {
					idx = i
					break
				}
			}
			var v value
			v.kind, v.b = d.ReadValue()
			if idx >= 0 && d.Err() == nil {
				vals[idx] = v
			}
		}
	} else if k, b := d.ReadValue(); d.Err() == nil {
		nerr = &notObjectError{typ: pythonType(k, b)}
	}
	if err := d.End(); err != nil {
		se := err.(*jsonlite.SyntaxError)
		return d.Scratch, &syntaxError{msg: pythonMsg[se.Code], off: se.Offset}, nil
	}
	return d.Scratch, nil, nerr
}

// pythonType names a value's type as Python's json module would decode it.
func pythonType(k kind, b []byte) string {
	switch k {
	case kindNull:
		return "NoneType"
	case kindString:
		return "str"
	case kindBool:
		return "bool"
	case kindArray:
		return "list"
	case kindNumber:
		for _, c := range b {
			if c == '.' || c == 'e' || c == 'E' {
				return "float"
			}
		}
		return "int"
	}
	return "dict"
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
