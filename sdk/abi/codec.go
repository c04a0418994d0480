package abi

import (
	"slices"
	"strconv"
	"unsafe"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// The codec: one Append function and one Decode function per message. The
// wire format is the JSON that encoding/json produces for the same types
// (same member names, same omitempty rules, map keys sorted), written and read
// without reflection, except for HTTP bodies: a Response, and an Action
// holding a Request, are framed as the JSON object (with the body's length
// in "body_len" instead of a "body" string) immediately followed by the raw
// body bytes, so a body is never escaped or unescaped (docs/plugin-abi.md § 4). Decode functions replace *v entirely, ignore unknown
// members, treat null as "absent", reject anything that is not well-formed
// JSON of the right shape with a *DecodeError, and never panic on any input.
// Decoded strings never alias the input, so the input buffer may be reused;
// the View decoders, for the guest SDK, trade that for fewer allocations.

// AppendManifest appends m as JSON to dst.
func AppendManifest(dst []byte, m *Manifest) []byte {
	b := append(dst, '{')
	b = appendKey(b, "abi", true)
	b = strconv.AppendInt(b, int64(m.ABI), 10)
	b = appendKey(b, "name", false)
	b = jsonlite.AppendString(b, m.Name)
	b = appendKey(b, "version", false)
	b = jsonlite.AppendString(b, m.Version)
	if m.Description != "" {
		b = appendKey(b, "description", false)
		b = jsonlite.AppendString(b, m.Description)
	}
	if len(m.Settings) > 0 {
		b = appendKey(b, "settings", false)
		b = append(b, '[')
		for i := range m.Settings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSetting(b, &m.Settings[i])
		}
		b = append(b, ']')
	}
	b = appendKey(b, "text", false)
	b = appendBool(b, m.Text)
	b = appendKey(b, "templates", false)
	b = appendBool(b, m.Templates)
	if len(m.Hosts) > 0 {
		b = appendKey(b, "hosts", false)
		b = appendStrings(b, m.Hosts)
	}
	if len(m.ResponseHeaders) > 0 {
		b = appendKey(b, "response_headers", false)
		b = appendStrings(b, m.ResponseHeaders)
	}
	if m.Time {
		b = appendKey(b, "time", false)
		b = appendBool(b, true)
	}
	if len(m.TemplateParams) > 0 {
		b = appendKey(b, "template_params", false)
		b = appendStrings(b, m.TemplateParams)
	}
	return append(b, '}')
}

func appendSetting(b []byte, s *Setting) []byte {
	b = append(b, '{')
	b = appendKey(b, "key", true)
	b = jsonlite.AppendString(b, s.Key)
	if s.Required {
		b = appendKey(b, "required", false)
		b = append(b, "true"...)
	}
	if s.Secret {
		b = appendKey(b, "secret", false)
		b = append(b, "true"...)
	}
	if s.Default != "" {
		b = appendKey(b, "default", false)
		b = jsonlite.AppendString(b, s.Default)
	}
	if s.Description != "" {
		b = appendKey(b, "description", false)
		b = jsonlite.AppendString(b, s.Description)
	}
	return append(b, '}')
}

// DecodeManifest decodes a JSON Manifest into *m.
func DecodeManifest(data []byte, m *Manifest) error {
	*m = Manifest{}
	r := newReader(data, false)
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "abi":
				m.ABI = int(r.integer(0))
			case "name":
				m.Name = r.str("")
			case "version":
				m.Version = r.str("")
			case "description":
				m.Description = r.str("")
			case "settings":
				m.Settings = decodeSettings(&r)
			case "text":
				m.Text = r.boolean(false)
			case "templates":
				m.Templates = r.boolean(false)
			case "hosts":
				m.Hosts = r.strings(nil)
			case "response_headers":
				m.ResponseHeaders = r.strings(nil)
			case "time":
				m.Time = r.boolean(false)
			case "template_params":
				m.TemplateParams = r.strings(nil)
			default:
				r.skip()
			}
		}
	}
	return r.end()
}

func decodeSettings(r *reader) []Setting {
	if r.null() || !r.open('[') {
		return nil
	}
	var out []Setting
	for i := 0; r.more(']', i); i++ {
		var s Setting
		if !r.null() && r.open('{') {
			for j := 0; r.more('}', j); j++ {
				switch string(r.key()) {
				case "key":
					s.Key = r.str("")
				case "required":
					s.Required = r.boolean(false)
				case "secret":
					s.Secret = r.boolean(false)
				case "default":
					s.Default = r.str("")
				case "description":
					s.Description = r.str("")
				default:
					r.skip()
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// AppendConfigure appends c as JSON to dst. Settings are written in key order.
func AppendConfigure(dst []byte, c *Configure) []byte {
	b := append(dst, '{')
	b = appendKey(b, "settings", true)
	if c.Settings == nil {
		b = append(b, "null"...)
		return append(b, '}')
	}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonlite.AppendString(b, k)
		b = append(b, ':')
		b = jsonlite.AppendString(b, c.Settings[k])
	}
	b = append(b, '}')
	return append(b, '}')
}

// DecodeConfigure decodes a JSON Configure into *c.
func DecodeConfigure(data []byte, c *Configure) error {
	*c = Configure{}
	r := newReader(data, false)
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "settings":
				if r.null() || !r.open('{') {
					c.Settings = nil
					continue
				}
				c.Settings = make(map[string]string)
				for j := 0; r.more('}', j); j++ {
					k := string(r.key())
					c.Settings[k] = r.str("")
				}
			default:
				r.skip()
			}
		}
	}
	if err := r.end(); err != nil {
		c.Settings = nil
		return err
	}
	return nil
}

// AppendConfigureResult appends c as JSON to dst.
func AppendConfigureResult(dst []byte, c *ConfigureResult) []byte {
	b := append(dst, '{')
	if c.Error != "" {
		b = appendKey(b, "error", true)
		b = jsonlite.AppendString(b, c.Error)
	}
	return append(b, '}')
}

// DecodeConfigureResult decodes a JSON ConfigureResult into *c.
func DecodeConfigureResult(data []byte, c *ConfigureResult) error {
	*c = ConfigureResult{}
	r := newReader(data, false)
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "error":
				c.Error = r.str("")
			default:
				r.skip()
			}
		}
	}
	return r.end()
}

// AppendMessage appends m as JSON to dst.
func AppendMessage(dst []byte, m *Message) []byte {
	b := append(dst, '{')
	b = appendKey(b, "to", true)
	b = jsonlite.AppendString(b, m.To)
	if m.Text != "" {
		b = appendKey(b, "text", false)
		b = jsonlite.AppendString(b, m.Text)
	}
	if m.TemplateID != 0 {
		b = appendKey(b, "template_id", false)
		b = strconv.AppendInt(b, m.TemplateID, 10)
	}
	if len(m.Vars) > 0 {
		b = appendKey(b, "vars", false)
		b = appendStrings(b, m.Vars)
	}
	if len(m.Params) > 0 {
		b = appendKey(b, "params", false)
		b = appendParams(b, m.Params)
	}
	if m.Ref != "" {
		b = appendKey(b, "ref", false)
		b = jsonlite.AppendString(b, m.Ref)
	}
	if m.Time != 0 {
		b = appendKey(b, "time", false)
		b = strconv.AppendInt(b, m.Time, 10)
	}
	return append(b, '}')
}

func appendParams(b []byte, ps []Param) []byte {
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, "name", true)
		b = jsonlite.AppendString(b, ps[i].Name)
		b = appendKey(b, "value", false)
		b = jsonlite.AppendString(b, ps[i].Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// decodeParams reads an array of params, appended to out[:0] (nil for a
// new array).
func decodeParams(r *reader, out []Param) []Param {
	if r.null() || !r.open('[') {
		return nil
	}
	out = out[:0]
	for i := 0; r.more(']', i); i++ {
		var p Param
		if !r.null() && r.open('{') {
			for j := 0; r.more('}', j); j++ {
				switch string(r.key()) {
				case "name":
					p.Name = r.str("")
				case "value":
					p.Value = r.str("")
				default:
					r.skip()
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// DecodeMessage decodes a JSON Message into *m.
func DecodeMessage(data []byte, m *Message) error {
	*m = Message{}
	return decodeMessage(newReader(data, false), m, nil, nil)
}

// DecodeMessageView is DecodeMessage for a caller that owns data and uses
// the result only while data is unchanged (the guest SDK, within one call):
// strings without escapes alias data instead of being copied, and Vars
// reuses the backing array of m.Vars. It saves the allocations that make up
// much of a wasm guest's cost per call.
func DecodeMessageView(data []byte, m *Message) error {
	vars, params := m.Vars, m.Params
	*m = Message{}
	return decodeMessage(newReader(data, true), m, vars, params)
}

func decodeMessage(r reader, m *Message, vars []string, params []Param) error {
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "to":
				m.To = r.str("")
			case "text":
				m.Text = r.str("")
			case "template_id":
				m.TemplateID = r.integer(0)
			case "vars":
				m.Vars = r.strings(vars)
			case "params":
				m.Params = decodeParams(&r, params)
			case "ref":
				m.Ref = r.str("")
			case "time":
				m.Time = r.integer(0)
			default:
				r.skip()
			}
		}
	}
	return r.end()
}

func appendHeaders(b []byte, hs []Header) []byte {
	b = append(b, '[')
	for i := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, "name", true)
		b = jsonlite.AppendString(b, hs[i].Name)
		b = appendKey(b, "value", false)
		b = jsonlite.AppendString(b, hs[i].Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// decodeHeaders reads an array of headers, appended to out[:0] (nil for a
// new array).
func decodeHeaders(r *reader, out []Header) []Header {
	if r.null() || !r.open('[') {
		return nil
	}
	out = out[:0]
	for i := 0; r.more(']', i); i++ {
		var h Header
		if !r.null() && r.open('{') {
			for j := 0; r.more('}', j); j++ {
				switch string(r.key()) {
				case "name":
					h.Name = r.str("")
				case "value":
					h.Value = r.str("")
				default:
					r.skip()
				}
			}
		}
		out = append(out, h)
	}
	return out
}

// appendRequest appends q as a JSON object to dst: the body is not written,
// only its length ("body_len", left out for an empty body); the enclosing
// Action carries the body raw after its JSON (see AppendAction).
func appendRequest(dst []byte, q *Request) []byte {
	return appendRequestTail(appendRequestHead(dst, q), q)
}

// appendRequestHead appends the start of q's object: method, URL and
// headers (what ActionEncoder remembers).
func appendRequestHead(dst []byte, q *Request) []byte {
	b := append(dst, '{')
	b = appendKey(b, "method", true)
	b = jsonlite.AppendString(b, q.Method)
	b = appendKey(b, "url", false)
	b = jsonlite.AppendString(b, q.URL)
	if len(q.Headers) > 0 {
		b = appendKey(b, "headers", false)
		b = appendHeaders(b, q.Headers)
	}
	return b
}

// appendRequestTail ends q's object: its body length, and the brace.
func appendRequestTail(b []byte, q *Request) []byte {
	if q.Body != "" {
		b = appendKey(b, "body_len", false)
		b = strconv.AppendInt(b, int64(len(q.Body)), 10)
	}
	return append(b, '}')
}

// decodeRequest reads a request object; its body_len (0 when absent) is
// stored in *bodyLen, and the caller fills Body from the raw tail.
func decodeRequest(r *reader, bodyLen *int64) *Request {
	if r.null() || !r.open('{') {
		return nil
	}
	q := new(Request)
	for i := 0; r.more('}', i); i++ {
		switch string(r.key()) {
		case "method":
			q.Method = r.str("")
		case "url":
			q.URL = r.str("")
		case "headers":
			q.Headers = decodeHeaders(r, nil)
		case "body_len":
			*bodyLen = r.integer(0)
		case "body":
			r.fail(errInlineBody)
		default:
			r.skip()
		}
	}
	return q
}

// errInlineBody refuses a body sent the pre-release way, as a JSON string,
// rather than silently dropping it.
const errInlineBody = `"body" is not a member: the body travels raw after the JSON, with its length in "body_len"`

// AppendResponse appends p to dst in the framed form of docs/plugin-abi.md
// § 4: the JSON object (with "body_len": len(p.Body) and no "body"), then
// the body's raw bytes.
func AppendResponse(dst []byte, p *Response) []byte {
	b := append(dst, '{')
	first := true
	if p.State != "" {
		b = appendKey(b, "state", true)
		b = jsonlite.AppendString(b, p.State)
		first = false
	}
	b = appendKey(b, "status", first)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if len(p.Headers) > 0 {
		b = appendKey(b, "headers", false)
		b = appendHeaders(b, p.Headers)
	}
	b = appendKey(b, "body_len", false)
	b = strconv.AppendInt(b, int64(len(p.Body)), 10)
	b = append(b, '}')
	return append(b, p.Body...)
}

// DecodeResponse decodes a framed Response (JSON object, then body_len raw
// body bytes) into *p. The JSON must end exactly where the body begins, and
// body_len must equal the number of bytes after it.
func DecodeResponse(data []byte, p *Response) error {
	*p = Response{}
	return decodeResponse(newReader(data, false), p, nil)
}

// DecodeResponseView is DecodeResponse for a caller that owns data and uses
// the result only while data is unchanged (the guest SDK, within one call):
// the body and the strings without escapes alias data instead of being
// copied, and Headers reuses the backing array of p.Headers.
func DecodeResponseView(data []byte, p *Response) error {
	hs := p.Headers
	*p = Response{}
	return decodeResponse(newReader(data, true), p, hs)
}

func decodeResponse(r reader, p *Response, hs []Header) error {
	var bodyLen int64
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "state":
				p.State = r.str("")
			case "status":
				p.Status = int(r.integer(0))
			case "headers":
				p.Headers = decodeHeaders(&r, hs)
			case "body_len":
				bodyLen = r.integer(0)
			case "body":
				r.fail(errInlineBody)
			default:
				r.skip()
			}
		}
	}
	body, err := r.tail(bodyLen)
	if err != nil {
		*p = Response{}
		return err
	}
	if r.view && len(body) > 0 {
		p.Body = unsafe.String(&body[0], len(body))
	} else {
		p.Body = string(body)
	}
	return nil
}

// AppendResult appends res as JSON to dst.
func AppendResult(dst []byte, res *Result) []byte {
	b := append(dst, '{')
	b = appendKey(b, "ok", true)
	b = appendBool(b, res.OK)
	if res.MessageID != "" {
		b = appendKey(b, "message_id", false)
		b = jsonlite.AppendString(b, res.MessageID)
	}
	if res.Class != "" {
		b = appendKey(b, "class", false)
		b = jsonlite.AppendString(b, res.Class)
	}
	if res.Code != "" {
		b = appendKey(b, "code", false)
		b = jsonlite.AppendString(b, res.Code)
	}
	if res.Text != "" {
		b = appendKey(b, "text", false)
		b = jsonlite.AppendString(b, res.Text)
	}
	return append(b, '}')
}

func decodeResult(r *reader, res *Result) {
	for i := 0; r.more('}', i); i++ {
		switch string(r.key()) {
		case "ok":
			res.OK = r.boolean(false)
		case "message_id":
			res.MessageID = r.str("")
		case "class":
			res.Class = r.str("")
		case "code":
			res.Code = r.str("")
		case "text":
			res.Text = r.str("")
		default:
			r.skip()
		}
	}
}

// DecodeResult decodes a JSON Result into *res.
func DecodeResult(data []byte, res *Result) error {
	*res = Result{}
	r := newReader(data, false)
	if r.open('{') {
		decodeResult(&r, res)
	}
	return r.end()
}

// AppendAction appends a to dst in the framed form of docs/plugin-abi.md
// § 4: the JSON object (a request's body replaced by its "body_len"), then
// the request body's raw bytes, if any.
func AppendAction(dst []byte, a *Action) []byte {
	b := append(dst, '{')
	first := true
	if a.Request != nil {
		b = appendKey(b, "request", true)
		b = appendRequest(b, a.Request)
		first = false
	}
	if a.State != "" {
		b = appendKey(b, "state", first)
		b = jsonlite.AppendString(b, a.State)
		first = false
	}
	if a.Result != nil {
		b = appendKey(b, "result", first)
		b = AppendResult(b, a.Result)
	}
	b = append(b, '}')
	if a.Request != nil {
		b = append(b, a.Request.Body...)
	}
	return b
}

// DecodeAction decodes a framed Action into *a: the JSON object, then as
// many raw bytes as its request's body_len says (none without a request).
// It checks the shape only; that exactly one of Request and Result is set
// is for the host to check.
func DecodeAction(data []byte, a *Action) error {
	*a = Action{}
	r := newReader(data, false)
	var bodyLen int64
	if r.open('{') {
		for i := 0; r.more('}', i); i++ {
			switch string(r.key()) {
			case "request":
				bodyLen = 0
				a.Request = decodeRequest(&r, &bodyLen)
			case "state":
				a.State = r.str("")
			case "result":
				if r.null() {
					a.Result = nil
				} else if r.open('{') {
					a.Result = new(Result)
					decodeResult(&r, a.Result)
				}
			default:
				r.skip()
			}
		}
	}
	if a.Request == nil {
		bodyLen = 0
	}
	body, err := r.tail(bodyLen)
	if err != nil {
		*a = Action{}
		return err
	}
	if len(body) > 0 {
		a.Request.Body = string(body)
	}
	return nil
}
