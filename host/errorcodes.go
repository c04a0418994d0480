package host

import (
	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
)

// HeaderErrorCode carries the stable, snake_case code of every error
// response (docs/errors.md lists them); detail-shaped bodies carry it as
// "code" too.
const HeaderErrorCode = "X-Error-Code"

// Error codes the host itself answers with, beside the domain's (errorCode).
const (
	CodeInvalid              = "invalid"                // 400: validation failed (body: DRF's field map)
	CodeParseError           = "parse_error"            // 400: the JSON body does not parse
	CodeMalformedRequest     = "malformed_request"      // 400: the HTTP request does not parse
	CodeNotAuthenticated     = "not_authenticated"      // 401: no credentials
	CodeAuthenticationFailed = "authentication_failed"  // 401: credentials refused
	CodePermissionDenied     = "permission_denied"      // 403
	CodeNotFound             = "not_found"              // 404
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeRequestTimeout       = "request_timeout"        // 408: the request was not read in time
	CodeConflict             = "conflict"               // 409
	CodeBodyTooLarge         = "body_too_large"         // 413
	CodeUnsupportedMedia     = "unsupported_media_type" // 415
	CodeThrottled            = "throttled"              // 429
	CodeHeadersTooLarge      = "headers_too_large"      // 431
	CodeUpgradeRequired      = "upgrade_required"       // 426: a chat socket request that is not a WebSocket handshake
	CodeInternalError        = "internal_error"         // 500
	CodeProviderError        = "provider_error"         // 502
	CodeUnavailable          = "unavailable"            // 503
	CodeProviderTimeout      = "provider_timeout"       // 504
)

// Error codes of the admin listener (SERVER.ADMIN_LISTEN) alone.
const (
	CodeInvalidAdminToken = "invalid_admin_token" // 401: an admin bearer token or page sign-in that is not SERVER.ADMIN_TOKEN
	CodeCSRFFailed        = "csrf_failed"         // 403: an admin page form without its CSRF value, expired, or from another site
)

// errorCode is the X-Error-Code of a domain error: its Reason when set,
// else a "code" it already carries in Extra (simplejwt's token_not_valid),
// else the default of its Code. It is the one place codes are derived.
func errorCode(e *chelseru.Error) string {
	if e.Reason != "" {
		return e.Reason
	}
	if c, ok := e.Extra["code"].(string); ok && c != "" {
		return c
	}
	switch e.Code {
	case chelseru.EINVALID:
		return CodeInvalid
	case chelseru.EUNAUTHENTICATED:
		return CodeNotAuthenticated
	case chelseru.EUNAUTHORIZED:
		return CodeAuthenticationFailed
	case chelseru.EFORBIDDEN:
		return CodePermissionDenied
	case chelseru.ENOTFOUND:
		return CodeNotFound
	case chelseru.ECONFLICT:
		return CodeConflict
	case chelseru.ETOOLARGE:
		return CodeBodyTooLarge
	case chelseru.ETOOMANY:
		return CodeThrottled
	case chelseru.EPROVIDER:
		return CodeProviderError
	case chelseru.ETIMEOUT:
		return CodeProviderTimeout
	case chelseru.EUNAVAILABLE:
		return CodeUnavailable
	}
	return CodeInternalError
}

// statusErrorCode is the code of a detail answered by status alone.
func statusErrorCode(status int) string {
	switch status {
	case fasthttp.StatusBadRequest:
		return CodeMalformedRequest
	case fasthttp.StatusNotFound:
		return CodeNotFound
	case fasthttp.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case fasthttp.StatusRequestTimeout:
		return CodeRequestTimeout
	case fasthttp.StatusRequestEntityTooLarge:
		return CodeBodyTooLarge
	case fasthttp.StatusUnsupportedMediaType:
		return CodeUnsupportedMedia
	case fasthttp.StatusRequestHeaderFieldsTooLarge:
		return CodeHeadersTooLarge
	case fasthttp.StatusForbidden:
		return CodePermissionDenied
	case fasthttp.StatusUpgradeRequired:
		return CodeUpgradeRequired
	case fasthttp.StatusServiceUnavailable:
		return CodeUnavailable
	}
	return CodeInternalError
}
