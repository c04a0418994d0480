package host

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// CORS (SERVER.CORS_*): with allowed origins configured, a browser
// preflight (OPTIONS with Access-Control-Request-Method) on a known route
// is answered 204 with the route's methods, the request headers the API
// reads and a max-age; other responses to an allowed origin carry
// Access-Control-Allow-Origin (the origin itself) and Vary: Origin. An
// origin not allowed gets no CORS header at all, so the browser blocks the
// call. Without allowed origins nothing changes (OPTIONS is a 405).

// corsAllowHeaders are the request headers a browser may send.
const corsAllowHeaders = "Authorization, Content-Type, X-Request-Id"

// corsExposeHeaders are the response headers a browser app may read.
const corsExposeHeaders = "X-Request-Id, X-Error-Code, Retry-After"

// cors is the compiled CORS policy; nil when off.
type cors struct {
	any         bool                // "*" is listed
	origins     map[string]struct{} // exact origins
	credentials bool
	maxAge      string // seconds
}

// newCORS compiles the options; nil when no origin is allowed.
func newCORS(opts Options) *cors {
	if len(opts.CORSAllowedOrigins) == 0 {
		return nil
	}
	c := &cors{origins: map[string]struct{}{}, credentials: opts.CORSAllowCredentials}
	for _, o := range opts.CORSAllowedOrigins {
		if o == "*" {
			c.any = true
			continue
		}
		c.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = struct{}{}
	}
	age := opts.CORSMaxAge
	if age <= 0 {
		age = 10 * time.Minute
	}
	c.maxAge = strconv.Itoa(int(age / time.Second))
	return c
}

// allows reports whether origin may call the API.
func (c *cors) allows(origin []byte) bool {
	if c.any {
		return true
	}
	_, ok := c.origins[string(origin)] // no allocation: map lookup by converted []byte
	return ok
}

// apply sets the CORS headers of a request and reports whether it was a
// preflight it answered (the caller then writes nothing more).
func (s *Server) applyCORS(ctx *fasthttp.RequestCtx, rs *reqState, r route) (answered bool) {
	c := s.cors
	if c == nil {
		return false
	}
	h := &ctx.Response.Header
	h.Add(fasthttp.HeaderVary, "Origin")
	origin := ctx.Request.Header.Peek(fasthttp.HeaderOrigin)
	preflight := bytes.Equal(ctx.Method(), []byte(fasthttp.MethodOptions)) &&
		len(ctx.Request.Header.Peek(fasthttp.HeaderAccessControlRequestMethod)) > 0
	if len(origin) == 0 || !c.allows(origin) {
		if preflight && r != routeNotFound {
			// Answered, but without CORS headers: the browser refuses.
			ctx.SetStatusCode(fasthttp.StatusNoContent)
			rs.status = fasthttp.StatusNoContent
			return true
		}
		return false
	}
	if c.any && !c.credentials {
		h.Set(fasthttp.HeaderAccessControlAllowOrigin, "*")
	} else {
		h.SetBytesV(fasthttp.HeaderAccessControlAllowOrigin, origin)
	}
	if c.credentials {
		h.Set(fasthttp.HeaderAccessControlAllowCredentials, "true")
	}
	if !preflight || r == routeNotFound {
		h.Set(fasthttp.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		return false
	}
	h.Set(fasthttp.HeaderAccessControlAllowMethods, allowed[r])
	h.Set(fasthttp.HeaderAccessControlAllowHeaders, corsAllowHeaders)
	h.Set(fasthttp.HeaderAccessControlMaxAge, c.maxAge)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	rs.status = fasthttp.StatusNoContent
	return true
}
