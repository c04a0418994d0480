package host

import (
	"errors"
	"net"

	"github.com/valyala/fasthttp"
)

// Error answers of the admin and metrics listeners carry a stable code as
// the public API's do (docs/errors.md): in X-Error-Code always, and as
// "code" in a {"detail": ...} body. A validation answer keeps DRF's field
// map and the admin page's HTML keeps its shape: the header alone carries
// their code.

// setAdminCode sets X-Error-Code on an admin or metrics listener's answer.
func setAdminCode(ctx *fasthttp.RequestCtx, code string) {
	ctx.Response.Header.Set(HeaderErrorCode, code)
}

// adminDetailCode answers {"detail": msg, "code": code} with
// X-Error-Code: code.
func adminDetailCode(ctx *fasthttp.RequestCtx, status int, code, msg string) {
	setAdminCode(ctx, code)
	writeAdminJSON(ctx, status, map[string]string{"detail": msg, "code": code})
}

// sideError answers what fasthttp refuses before a handler of the admin or
// metrics listener runs: a body over adminBodyBytes, headers over the read
// buffer, a request not read in time, or one that does not parse.
func sideError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		adminDetailCode(ctx, fasthttp.StatusRequestEntityTooLarge, CodeBodyTooLarge, "Request body is too large.")
	case errors.As(err, &small):
		adminDetail(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge, "Request headers are too large.")
	case errors.As(err, &ne) && ne.Timeout():
		adminDetail(ctx, fasthttp.StatusRequestTimeout, "Request timeout.")
	default:
		adminDetail(ctx, fasthttp.StatusBadRequest, "Malformed request.")
	}
}
