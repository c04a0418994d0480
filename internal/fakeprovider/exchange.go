package fakeprovider

import (
	"context"
	"io"
	"net"
	"net/http"

	"github.com/valyala/fasthttp"
)

// exchange is one request and its answer, whichever server carries it:
// net/http (httptest, the default) or fasthttp (WithFastHTTP). The provider
// handlers are written against it once.
type exchange interface {
	Method() string
	// Path is the decoded URL path; EscapedPath keeps its escapes.
	Path() string
	EscapedPath() string
	// ParseForm reads the query and a form-encoded body; false when the body
	// is malformed or too large.
	ParseForm() bool
	// Form is a value from the body, else from the query (net/http's
	// Request.Form.Get); PostForm is from the body only.
	Form(key string) string
	PostForm(key string) string
	// Header is a request header's value ("" when absent).
	Header(key string) string
	// Body reads the raw request body (at most maxBody bytes); false when
	// it is larger or cannot be read. Call it once.
	Body() ([]byte, bool)
	// Context ends when the client goes away or the server shuts down.
	Context() context.Context
	SetHeader(key, value string)
	Write(status int, contentType, body string)
	// Abort drops the connection without an answer.
	Abort()
}

// stdExchange is an exchange over net/http.
type stdExchange struct {
	w http.ResponseWriter
	r *http.Request
}

func (x stdExchange) Method() string              { return x.r.Method }
func (x stdExchange) Path() string                { return x.r.URL.Path }
func (x stdExchange) EscapedPath() string         { return x.r.URL.EscapedPath() }
func (x stdExchange) ParseForm() bool             { return x.r.ParseForm() == nil }
func (x stdExchange) Form(key string) string      { return x.r.Form.Get(key) }
func (x stdExchange) PostForm(key string) string  { return x.r.PostForm.Get(key) }
func (x stdExchange) Context() context.Context    { return x.r.Context() }
func (x stdExchange) SetHeader(key, value string) { x.w.Header().Set(key, value) }
func (x stdExchange) Abort()                      { panic(http.ErrAbortHandler) }
func (x stdExchange) Header(key string) string    { return x.r.Header.Get(key) }

func (x stdExchange) Body() ([]byte, bool) {
	b, err := io.ReadAll(x.r.Body) // bounded by the MaxBytesReader of serve
	return b, err == nil
}

func (x stdExchange) Write(status int, contentType, body string) {
	x.w.Header().Set("Content-Type", contentType)
	x.w.WriteHeader(status)
	_, _ = x.w.Write([]byte(body))
}

// fastExchange is an exchange over fasthttp.
type fastExchange struct{ c *fasthttp.RequestCtx }

func (x fastExchange) Method() string              { return string(x.c.Method()) }
func (x fastExchange) Path() string                { return string(x.c.Path()) }
func (x fastExchange) EscapedPath() string         { return string(x.c.URI().PathOriginal()) }
func (x fastExchange) Context() context.Context    { return x.c }
func (x fastExchange) SetHeader(key, value string) { x.c.Response.Header.Set(key, value) }

func (x fastExchange) ParseForm() bool {
	x.c.PostArgs() // parses a form-encoded body
	return true
}

func (x fastExchange) Form(key string) string {
	if a := x.c.PostArgs(); a.Has(key) {
		return string(a.Peek(key))
	}
	return string(x.c.QueryArgs().Peek(key))
}

func (x fastExchange) PostForm(key string) string { return string(x.c.PostArgs().Peek(key)) }

func (x fastExchange) Header(key string) string { return string(x.c.Request.Header.Peek(key)) }

func (x fastExchange) Body() ([]byte, bool) {
	b := x.c.PostBody() // bounded by the server's MaxRequestBodySize
	return append([]byte(nil), b...), len(b) <= maxBody
}

func (x fastExchange) Write(status int, contentType, body string) {
	x.c.SetStatusCode(status)
	x.c.SetContentType(contentType)
	x.c.SetBodyString(body)
}

func (x fastExchange) Abort() {
	x.c.HijackSetNoResponse(true)
	x.c.Hijack(func(c net.Conn) { _ = c.Close() })
}
