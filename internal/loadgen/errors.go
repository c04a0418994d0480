package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/valyala/fasthttp"
)

// StatusError is a unit's failure because a response had an unexpected HTTP
// status.
type StatusError struct {
	// Op names the step that failed, e.g. "POST /api/otp/send/".
	Op string
	// Status is the HTTP status received.
	Status int
	// Body is the start of the response body, for diagnostics.
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// Error kinds reported in Result.ErrorKinds besides "HTTP <status>".
const (
	KindTimeout   = "timeout"
	KindTransport = "transport"
	KindOther     = "other"
)

// ErrorKind classifies a unit's error: "HTTP <status>" for a *StatusError,
// KindTimeout for a deadline, KindTransport for a connection failure, and
// KindOther for anything else (a wrong body, a missing code).
func ErrorKind(err error) string {
	var se *StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return "HTTP " + strconv.Itoa(se.Status)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded):
		return KindTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.As(err, &ne), errors.Is(err, fasthttp.ErrConnectionClosed),
		errors.Is(err, fasthttp.ErrNoFreeConns), errors.Is(err, context.Canceled):
		return KindTransport
	default:
		return KindOther
	}
}
