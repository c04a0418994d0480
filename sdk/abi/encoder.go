package abi

import (
	"strings"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// ActionEncoder encodes Actions exactly as AppendAction does, remembering
// the encoding of the last request's method, URL and headers, because a
// plugin asks for the same endpoint with the same headers on nearly every
// send (docs/RATIONALE.md). The remembered encoding is reused only when the
// method, the URL and every header name and value have the same contents as
// the remembered copies. Strings are compared by content, never by address:
// the SDK decodes every message into one reused buffer, so a string that is
// a view of the message (Value: m.To) has the same address and length from
// send to send while its bytes change. The zero value is ready to use; an
// ActionEncoder is not safe for concurrent use.
type ActionEncoder struct {
	method, url string
	headers     []Header // copies of the last headers (owned by the encoder)
	prefix      []byte   // {"request":{"method":…,"url":…[,"headers":[…]]
}

// Append appends a to dst, as AppendAction.
func (e *ActionEncoder) Append(dst []byte, a *Action) []byte {
	q := a.Request
	if q == nil {
		return AppendAction(dst, a)
	}
	if !e.same(q) {
		e.remember(q)
	}
	b := appendRequestTail(append(dst, e.prefix...), q)
	if a.State != "" {
		b = appendKey(b, "state", false)
		b = jsonlite.AppendString(b, a.State)
	}
	if a.Result != nil {
		b = appendKey(b, "result", false)
		b = AppendResult(b, a.Result)
	}
	b = append(b, '}')
	return append(b, q.Body...)
}

// same reports whether q's method, URL and headers have the contents of the
// remembered ones.
func (e *ActionEncoder) same(q *Request) bool {
	if e.prefix == nil || q.Method != e.method || q.URL != e.url || len(q.Headers) != len(e.headers) {
		return false
	}
	for i, h := range q.Headers {
		if h.Name != e.headers[i].Name || h.Value != e.headers[i].Value {
			return false
		}
	}
	return true
}

// remember encodes q's head and keeps copies of its strings: a string of
// q may be a view of a buffer the SDK reuses, whose bytes change later.
func (e *ActionEncoder) remember(q *Request) {
	e.method, e.url = strings.Clone(q.Method), strings.Clone(q.URL)
	e.headers = e.headers[:0]
	for _, h := range q.Headers {
		e.headers = append(e.headers, Header{Name: strings.Clone(h.Name), Value: strings.Clone(h.Value)})
	}
	b := append(e.prefix[:0], '{')
	b = appendKey(b, "request", true)
	e.prefix = appendRequestHead(b, q)
}
