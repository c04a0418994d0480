package abi

import (
	"unsafe"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// Fast paths for the inputs a guest decodes on every send: a Message and a
// Response exactly as AppendMessage and AppendResponse write them (keys in
// their order, no white space, strings of printable ASCII without escapes,
// no headers). A wasm guest pays for the general decoder's many small calls
// per token (about 1 µs for a 60-byte Message); these read such an input in
// one straight pass. Anything else, including every malformed input, makes
// them return false, and the general decoder reads the input from the
// start, so results and errors are the same either way (FuzzFastPaths).

// hasPrefixAt reports whether data[i:] begins with lit.
func hasPrefixAt(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// fastString reads a JSON string at data[i] made of plain bytes only
// (jsonlite.PlainPrefix) and returns it (aliasing data when view) and the index after
// its closing quote.
func fastString(data []byte, i int, view bool) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", i, false
	}
	start := i + 1
	end := start + jsonlite.PlainPrefix(data[start:])
	if end >= len(data) || data[end] != '"' {
		return "", i, false
	}
	var s string
	switch {
	case end == start:
	case view:
		s = unsafe.String(&data[start], end-start)
	default:
		s = string(data[start:end])
	}
	return s, end + 1, true
}

// fastInt reads an integer of at most 18 digits (no overflow to check), with
// an optional minus sign, as the general decoder would accept it: no leading
// zero unless the number is 0.
func fastInt(data []byte, i int) (int64, int, bool) {
	neg := i < len(data) && data[i] == '-'
	if neg {
		i++
	}
	start := i
	var n int64
	for i < len(data) && data[i] >= '0' && data[i] <= '9' && i-start < 18 {
		n = n*10 + int64(data[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || (digits > 1 && data[start] == '0') || (i < len(data) && data[i] >= '0' && data[i] <= '9') {
		return 0, i, false
	}
	if i < len(data) && (data[i] == '.' || data[i] == 'e' || data[i] == 'E') {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// decodeMessageFast decodes a canonical Message into *m (zero on entry);
// false leaves *m to be reset by the caller.
func decodeMessageFast(data []byte, m *Message, vars []string, params []Param, view bool) bool {
	const (
		kTo       = `{"to":`
		kText     = `,"text":`
		kTemplate = `,"template_id":`
		kVars     = `,"vars":[`
		kParams   = `,"params":[`
		kName     = `{"name":`
		kValue    = `,"value":`
		kRef      = `,"ref":`
		kTime     = `,"time":`
	)
	if !hasPrefixAt(data, 0, kTo) {
		return false
	}
	var ok bool
	i := len(kTo)
	if m.To, i, ok = fastString(data, i, view); !ok {
		return false
	}
	if hasPrefixAt(data, i, kText) {
		if m.Text, i, ok = fastString(data, i+len(kText), view); !ok {
			return false
		}
	}
	if hasPrefixAt(data, i, kTemplate) {
		if m.TemplateID, i, ok = fastInt(data, i+len(kTemplate)); !ok {
			return false
		}
	}
	if hasPrefixAt(data, i, kVars) {
		i += len(kVars)
		out := vars[:0]
		for {
			var s string
			if s, i, ok = fastString(data, i, view); !ok {
				return false
			}
			out = append(out, s)
			if i < len(data) && data[i] == ',' {
				i++
				continue
			}
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			return false
		}
		m.Vars = out
	}
	if hasPrefixAt(data, i, kParams) {
		i += len(kParams)
		out := params[:0]
		for {
			var p Param
			if !hasPrefixAt(data, i, kName) {
				return false
			}
			if p.Name, i, ok = fastString(data, i+len(kName), view); !ok || !hasPrefixAt(data, i, kValue) {
				return false
			}
			if p.Value, i, ok = fastString(data, i+len(kValue), view); !ok || i >= len(data) || data[i] != '}' {
				return false
			}
			i++
			out = append(out, p)
			if i < len(data) && data[i] == ',' {
				i++
				continue
			}
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			return false
		}
		m.Params = out
	}
	if hasPrefixAt(data, i, kRef) {
		if m.Ref, i, ok = fastString(data, i+len(kRef), view); !ok {
			return false
		}
	}
	if hasPrefixAt(data, i, kTime) {
		if m.Time, i, ok = fastInt(data, i+len(kTime)); !ok {
			return false
		}
	}
	return i == len(data)-1 && data[i] == '}'
}

// decodeResponseFast decodes a canonical framed Response without headers
// into *p (zero on entry); false leaves *p to be reset by the caller.
func decodeResponseFast(data []byte, p *Response, view bool) bool {
	const (
		kState   = `{"state":`
		kStatus  = `"status":`
		kBodyLen = `,"body_len":`
	)
	var ok bool
	i := 1
	switch {
	case hasPrefixAt(data, 0, kState):
		if p.State, i, ok = fastString(data, len(kState), view); !ok || i >= len(data) || data[i] != ',' {
			return false
		}
		i++
	case len(data) == 0 || data[0] != '{':
		return false
	}
	if !hasPrefixAt(data, i, kStatus) {
		return false
	}
	status, i, ok := fastInt(data, i+len(kStatus))
	if !ok || status != int64(int(status)) {
		return false
	}
	if !hasPrefixAt(data, i, kBodyLen) {
		return false
	}
	n, i, ok := fastInt(data, i+len(kBodyLen))
	if !ok || i >= len(data) || data[i] != '}' || n < 0 || n != int64(len(data)-i-1) {
		return false
	}
	p.Status = int(status)
	body := data[i+1:]
	switch {
	case len(body) == 0:
	case view:
		p.Body = unsafe.String(&body[0], len(body))
	default:
		p.Body = string(body)
	}
	return true
}
