package chelseru

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: a small closed set, mapped to HTTP statuses in exactly one
// place (host.writeError). Anything else is treated as EINTERNAL.
const (
	EINVALID         = "invalid"         // 400: the request is malformed or fails validation
	EUNAUTHENTICATED = "unauthenticated" // 401: no credentials were given
	EUNAUTHORIZED    = "unauthorized"    // 401: the credentials (code, token, password) are wrong
	EFORBIDDEN       = "forbidden"       // 403: authenticated, but not allowed
	ENOTFOUND        = "not_found"       // 404: no such resource (for this caller)
	ECONFLICT        = "conflict"        // 409: the resource already exists (e.g. a live OTP)
	ETOOLARGE        = "too_large"       // 413: the request body is over the limit
	ETOOMANY         = "too_many"        // 429: a limit was hit; RetryAfter says for how long
	EPROVIDER        = "provider"        // 502: the SMS provider refused or failed
	ETIMEOUT         = "timeout"         // 504: the SMS provider did not answer in time
	EUNAVAILABLE     = "unavailable"     // 503: not ready (storage closed, no plugin)
	EINTERNAL        = "internal"        // 500: a bug or an I/O failure; never shown in detail
)

// Error is the one error type of the domain. Its Message is safe to show to a
// client; internal causes are wrapped in Err and only ever logged.
type Error struct {
	// Code is one of the E* constants.
	Code string
	// Key is the JSON key the message is returned under ("detail", "details"
	// or "error", following the original API); empty means "detail".
	Key string
	// Message is the client-facing text.
	Message string
	// Fields holds DRF-style validation errors: field name to messages. When
	// set, the response body is this map and Message is not shown.
	Fields map[string][]string
	// Extra holds further client-facing members of the JSON body (for
	// example "code": "token_not_valid" or a provider's "errorcode").
	Extra map[string]any
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Reason, when set, is the specific machine-readable code sent as
	// X-Error-Code (and as "code" in a detail body), e.g. "otp_already_sent";
	// empty means the code's default (host/errors.go, errorCode). Codes are
	// listed in docs/errors.md.
	Reason string
	// Err is the internal cause, logged and never returned to a client.
	Err error
}

// Error implements error. It includes the internal cause, so it is for logs.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && len(e.Fields) > 0 {
		msg = fmt.Sprint(e.Fields)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a client-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error for one field, in DRF's shape.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Fields: map[string][]string{field: {message}}}
}

// Internal wraps an unexpected failure. The message shown to clients is
// generic; err is kept for the log. An err that already carries an
// EUNAVAILABLE *Error (storage full, storage closed) keeps that code and
// message: it is a passing condition the client may retry, not a bug.
func Internal(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Code == EUNAVAILABLE {
		return &Error{Code: EUNAVAILABLE, Message: e.Message, RetryAfter: e.RetryAfter, Reason: e.Reason, Err: err}
	}
	return &Error{Code: EINTERNAL, Message: "Internal server error.", Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL
// for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// Sentinel errors returned by storage implementations. Callers test them with
// errors.Is; the auth layer turns them into client-facing *Error values.
var (
	// ErrNotFound: the key does not exist (or has expired).
	ErrNotFound = errors.New("not found")
	// ErrExists: a create found a live record in the way.
	ErrExists = errors.New("already exists")
	// ErrStale: a compare-and-swap lost (for example a refresh token that was
	// already rotated out).
	ErrStale = errors.New("stale")
	// ErrLimited: a send limit is reached.
	ErrLimited = errors.New("limit reached")
)
