package host

import (
	"errors"
	"sort"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// msgInternal is the whole body of every 500.
const msgInternal = "Internal server error."

// statusOf maps an error code to its HTTP status. It is the only place
// where domain error codes meet HTTP.
func statusOf(code string) int {
	switch code {
	case chelseru.EINVALID:
		return fasthttp.StatusBadRequest
	case chelseru.EUNAUTHENTICATED, chelseru.EUNAUTHORIZED:
		return fasthttp.StatusUnauthorized
	case chelseru.EFORBIDDEN:
		return fasthttp.StatusForbidden
	case chelseru.ENOTFOUND:
		return fasthttp.StatusNotFound
	case chelseru.ECONFLICT:
		return fasthttp.StatusConflict
	case chelseru.ETOOLARGE:
		return fasthttp.StatusRequestEntityTooLarge
	case chelseru.ETOOMANY:
		return fasthttp.StatusTooManyRequests
	case chelseru.EPROVIDER:
		return fasthttp.StatusBadGateway
	case chelseru.ETIMEOUT:
		return fasthttp.StatusGatewayTimeout
	case chelseru.EUNAVAILABLE:
		return fasthttp.StatusServiceUnavailable
	default:
		return fasthttp.StatusInternalServerError
	}
}

// writeError is the one function that turns an error into an HTTP response.
//
// An *chelseru.Error gives the status (from its Code), the body (Fields in
// DRF's validation shape, or {Key: Message} followed by Extra) and the
// Retry-After header (RetryAfter in whole seconds, rounded up). Anything
// else, and every EINTERNAL, is a 500 with a fixed body and is logged with
// the request id; no Go error text, path or stack ever reaches a body.
func (s *Server) writeError(ctx *fasthttp.RequestCtx, rs *reqState, err error) {
	var e *chelseru.Error
	if !errors.As(err, &e) || e.Code == chelseru.EINTERNAL || statusOf(e.Code) == fasthttp.StatusInternalServerError {
		s.log.Error("internal error", "request_id", string(rs.id), "route", rs.route.String(), "err", err)
		s.writeDetail(ctx, rs, fasthttp.StatusInternalServerError, msgInternal)
		return
	}
	status := statusOf(e.Code)
	code := errorCode(e)
	ctx.Response.Header.Set(HeaderErrorCode, code)
	switch {
	case status >= 500:
		s.log.Warn("upstream error", "request_id", string(rs.id), "route", rs.route.String(), "status", status, "err", err)
	case e.Err != nil:
		s.log.Debug("request refused", "request_id", string(rs.id), "route", rs.route.String(), "status", status, "err", err)
	}
	if e.RetryAfter > 0 {
		secs := (e.RetryAfter + 999_999_999) / 1_000_000_000
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, strconv.FormatInt(int64(secs), 10))
	}
	if status == fasthttp.StatusUnauthorized && rs.route.bearer() {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="api"`)
	}
	b := rs.out[:0]
	if len(e.Fields) > 0 {
		b = appendFields(b, e.Fields)
	} else {
		key := e.Key
		if key == "" {
			key = "detail"
		}
		b = append(b, '{')
		b = jsonlite.AppendString(b, key)
		b = append(b, ':')
		b = jsonlite.AppendString(b, e.Message)
		if len(e.Extra) > 0 {
			var small [8]string
			names := small[:0]
			for k := range e.Extra {
				if k != key {
					names = append(names, k)
				}
			}
			sort.Strings(names)
			for _, k := range names {
				b = append(b, ',')
				b = jsonlite.AppendString(b, k)
				b = append(b, ':')
				b = appendAny(b, e.Extra[k])
			}
		}
		if _, has := e.Extra["code"]; !has && key == "detail" {
			b = append(b, `,"code":`...)
			b = jsonlite.AppendString(b, code)
		}
		b = append(b, '}')
	}
	rs.out = b
	s.writeJSON(ctx, rs, status, b)
}

// writeDetail answers with DRF's {"detail": msg} and the code of status
// (statusErrorCode).
func (s *Server) writeDetail(ctx *fasthttp.RequestCtx, rs *reqState, status int, msg string) {
	s.writeDetailCode(ctx, rs, status, statusErrorCode(status), msg)
}

// writeDetailCode answers with {"detail": msg, "code": code} and
// X-Error-Code: code.
func (s *Server) writeDetailCode(ctx *fasthttp.RequestCtx, rs *reqState, status int, code, msg string) {
	ctx.Response.Header.Set(HeaderErrorCode, code)
	b := append(rs.out[:0], `{"detail":`...)
	b = jsonlite.AppendString(b, msg)
	b = append(b, `,"code":`...)
	b = jsonlite.AppendString(b, code)
	b = append(b, '}')
	rs.out = b
	s.writeJSON(ctx, rs, status, b)
}

// writeJSON sets status and a JSON body.
func (s *Server) writeJSON(ctx *fasthttp.RequestCtx, rs *reqState, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.SetBody(body)
	rs.out = body[:0] // keep a grown buffer for the next request
	rs.status = status
}
