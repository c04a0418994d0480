package abi

import (
	"unsafe"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// ActionEncoder encodes Actions exactly as AppendAction does, remembering
// the encoding of the last request's method, URL and headers, because a
// plugin asks for the same endpoint with the same headers on nearly every
// send (docs/RATIONALE.md). The remembered encoding is reused only when the method, the URL and every
// header name and value are the very same strings (same bytes in memory,
// which for immutable strings means the same contents). The zero value is
// ready to use; an ActionEncoder is not safe for concurrent use.
type ActionEncoder struct {
	method, url string
	headers     []Header // a copy of the last headers (string headers only)
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

func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// same reports whether q's method, URL and headers are the remembered ones.
func (e *ActionEncoder) same(q *Request) bool {
	if e.prefix == nil || !sameString(q.Method, e.method) || !sameString(q.URL, e.url) || len(q.Headers) != len(e.headers) {
		return false
	}
	for i, h := range q.Headers {
		if !sameString(h.Name, e.headers[i].Name) || !sameString(h.Value, e.headers[i].Value) {
			return false
		}
	}
	return true
}

func (e *ActionEncoder) remember(q *Request) {
	e.method, e.url = q.Method, q.URL
	e.headers = append(e.headers[:0], q.Headers...)
	b := append(e.prefix[:0], '{')
	b = appendKey(b, "request", true)
	e.prefix = appendRequestHead(b, q)
}
